// supervisord's `%(name)s` expansions: Python's `value % expansions`, for the conversions config files use.

import { quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import { INSTANCE_MARK } from './spec.ts';

/** The per-instance `%(process_num)`: the runtime fills INSTANCE_MARK with 0, 1, 2..., while supervisord counts from `from`. */
export interface InstanceNumber {
  instanceFrom: number;
}

/** What one name expands to. */
export type Expansion = string | number | InstanceNumber;

/** An expanded value; `inexact` holds the first `%(process_num)...` that INSTANCE_MARK cannot write exactly (padded, or not counting from 0). */
export interface Expanded {
  text: string;
  inexact: string | null;
}

/** How the caller explains a name it does not know (`written` is e.g. `%(ENV_X)s`). */
export type UnknownName = (name: string, written: string) => string;

const SPEC = /^([#0\- +]*)(\d+|\*)?(?:\.(\d*|\*))?[hlL]?(.)?/s;
const PYTHON_ONLY = 'raxXoeEfFgGc';
const MAX_WIDTH = 4096;

/**
 * Expands `%(name)s`, `%(name)d` (also `i`, `u`, with flags, width and precision such as `02d`)
 * and `%%`, in one pass. Any other `%` is an error, as Python's `%` operator makes it in supervisord.
 */
export function expandPercent(value: string, lookup: (name: string) => Expansion | undefined, unknown: UnknownName): Outcome<Expanded> {
  if (value.includes(INSTANCE_MARK)) {
    return { ok: false, message: 'the value holds the character U+E000, which emperor reserves for the instance number; remove it' };
  }
  let text = '';
  let inexact: string | null = null;
  let from = 0;
  for (let at = value.indexOf('%'); at !== -1; at = value.indexOf('%', from)) {
    text += value.slice(from, at);
    const next = value[at + 1];
    if (next === '%') {
      text += '%';
      from = at + 2;
      continue;
    }
    if (next !== '(') return { ok: false, message: lonePercent(value, at) };
    const close = closingParen(value, at + 2);
    if (close === -1) {
      return { ok: false, message: `${quote(value.slice(at, at + 30))} has no closing \`)\`; write \`%(name)s\`, or \`%%\` for a literal \`%\`` };
    }
    const name = value.slice(at + 2, close);
    const m = SPEC.exec(value.slice(close + 1)) as RegExpExecArray;
    const [all, flags = '', width, precision, conversion] = m;
    const written = value.slice(at, close + 1 + all.length);
    if (conversion === undefined) {
      return { ok: false, message: `${quote(written)} has no conversion letter; write \`%(${name})s\`, or \`%%\` for a literal \`%\`` };
    }
    if (width === '*' || precision === '*') return { ok: false, message: `${quote(written)}: a \`*\` width needs a list of values, which supervisord files cannot give; write a number` };
    if (conversion !== 's' && !'diu'.includes(conversion)) {
      const why = PYTHON_ONLY.includes(conversion) ? 'emperor expands only `s` and `d` conversions' : `\`${conversion}\` is not a conversion`;
      return { ok: false, message: `${quote(written)}: ${why}; write \`%(${name})s\` or \`%(${name})d\`, or \`%%\` for a literal \`%\`` };
    }
    const found = lookup(name);
    if (found === undefined) return { ok: false, message: unknown(name, written) };
    const format: Format = { flags, width: width === undefined ? 0 : Math.min(Number(width), MAX_WIDTH), precision, numeric: conversion !== 's' };
    if (typeof found === 'object') {
      const plain = flags === '' && width === undefined && precision === undefined;
      if (!(plain && found.instanceFrom === 0)) inexact ??= written;
      text += INSTANCE_MARK;
    } else if (format.numeric && typeof found === 'string') {
      return { ok: false, message: `${quote(written)} needs a number, but \`${name}\` is text; write \`%(${name})s\`` };
    } else {
      text += formatValue(found, format);
    }
    from = close + 1 + all.length;
  }
  text += value.slice(from);
  return { ok: true, value: { text, inexact } };
}

interface Format {
  flags: string;
  width: number;
  precision: string | undefined;
  numeric: boolean;
}

/** Python's `%s` / `%d` of one value. */
function formatValue(value: string | number, f: Format): string {
  let body: string;
  let sign = '';
  if (f.numeric && typeof value === 'number') {
    let digits = String(Math.abs(value));
    if (f.precision !== undefined) digits = digits.padStart(Math.min(Number(f.precision || '0'), MAX_WIDTH), '0');
    sign = value < 0 ? '-' : f.flags.includes('+') ? '+' : f.flags.includes(' ') ? ' ' : '';
    if (f.flags.includes('0') && !f.flags.includes('-')) return sign + digits.padStart(f.width - sign.length, '0');
    body = sign + digits;
  } else {
    body = String(value);
    if (f.precision !== undefined) body = body.slice(0, Number(f.precision || '0'));
  }
  return f.flags.includes('-') ? body.padEnd(f.width) : body.padStart(f.width);
}

/** The index of the `)` closing a `%(` whose name starts at `from` (Python counts nested parentheses), or -1. */
function closingParen(value: string, from: number): number {
  let depth = 1;
  for (let i = from; i < value.length; i += 1) {
    if (value[i] === '(') depth += 1;
    else if (value[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

function lonePercent(value: string, at: number): string {
  if (at + 1 >= value.length) return 'a lone `%` ends the value; write `%%` for a literal `%`';
  return `${quote(value.slice(at, at + 2))} is not an expansion; write \`%%\` for a literal \`%\` (supervisord expands \`%(name)s\`)`;
}
