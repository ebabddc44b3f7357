// uWSGI's own expansions, for the daemon-only [uwsgi] files emperor runs itself: `%x` magic variables,
// `$(VAR)`, `@(FILE)` and `%(key)`, in uWSGI's order and with uWSGI's leniency (nothing unknown is an error).

import { basename, dirname } from 'node:path';
import { quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import { INSTANCE_MARK } from './spec.ts';

/** What uWSGI's expansions of one file stand for. */
export interface UwsgiMagicContext {
  /** absolute path of the file, symlinks not resolved. */
  file: string;
  /** the host name, for `%h`. */
  host: string;
  /** the emperor's environment, for `$(VAR)`. */
  env: Record<string, string | undefined>;
  /** the first value of another key of the [uwsgi] section, as written, for `%(key)`. */
  option(key: string): string | undefined;
}

/** An expanded value and what was left unexpanded or emptied, for warnings. */
export interface UwsgiExpansion {
  value: string;
  warnings: string[];
}

const ENV_REF = /\$\(([^)]*)\)/g;
const FILE_REF = /@\(([^)]*)\)/;
const OPTION_REF = /%\(([^)]*)\)/g;

/**
 * Expands a value as uWSGI does: first the `%x` magic variables (an unknown one becomes empty; `%(` is
 * kept for the last step), then `$(VAR)` (left as written when VAR is unset), then `%(key)` (another key's
 * first value). `@(FILE)` would read a file, which the config layer never does: it is left as written.
 */
export function expandUwsgi(value: string, ctx: UwsgiMagicContext): Outcome<UwsgiExpansion> {
  if (value.includes(INSTANCE_MARK)) {
    return { ok: false, message: 'the value holds the character U+E000, which emperor reserves for `%i`; remove it' };
  }
  const warnings = new Set<string>();
  const out = expandValue(value, ctx, warnings, new Set());
  return { ok: true, value: { value: out, warnings: [...warnings] } };
}

function expandValue(value: string, ctx: UwsgiMagicContext, warnings: Set<string>, seen: Set<string>): string {
  const magic = expandPercent(value, ctx, warnings);
  const env = magic.replace(ENV_REF, (whole, name: string) => (Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined) ?? whole);
  const file = FILE_REF.exec(env);
  if (file !== null) {
    warnings.add(`${quote(file[0])} (the content of a file) is not expanded in a daemon-only file, so it is left as written; write the value itself`);
  }
  return env.replace(OPTION_REF, (whole, key: string) => {
    const raw = ctx.option(key);
    if (raw === undefined) {
      warnings.add(`${quote(whole)} names no key of this [uwsgi] section, so it is left as written`);
      return whole;
    }
    if (seen.has(key)) {
      warnings.add(`${quote(whole)} refers to itself through other keys, so it is left as written`);
      return whole;
    }
    return expandValue(raw, ctx, warnings, new Set([...seen, key]));
  });
}

/** Pass one: `%x` from uWSGI's magic table, in a single pass (the expansions are never rescanned). */
function expandPercent(value: string, ctx: UwsgiMagicContext, warnings: Set<string>): string {
  if (!value.includes('%')) return value;
  const out: string[] = [];
  let plainFrom = 0;
  for (let i = 0; i < value.length - 1; i += 1) {
    if (value[i] !== '%') continue;
    // One character, not one UTF-16 unit: `%` before an emoji empties the whole emoji.
    const letter = String.fromCodePoint(value.codePointAt(i + 1) as number);
    if (letter === '(') {
      i += 1;
      continue;
    }
    let expansion = magicVariable(letter, ctx);
    if (expansion === undefined) {
      warnings.add(
        `${quote(`%${letter}`)} is not a magic variable emperor knows, so it becomes empty (as uWSGI makes an unknown one); write \`%%\` for a percent sign`,
      );
      expansion = '';
    }
    out.push(value.slice(plainFrom, i), expansion);
    i += letter.length;
    plainFrom = i + 1;
  }
  out.push(value.slice(plainFrom));
  return out.join('');
}

/**
 * uWSGI's magic table for one file. The upper-case forms name the first non-template file, which is
 * the file itself here; `%o` is the path uWSGI was given, which is the absolute one under emperor.
 */
function magicVariable(letter: string, ctx: UwsgiMagicContext): string | undefined {
  const dir = dirname(ctx.file);
  const name = basename(ctx.file);
  const dot = name.lastIndexOf('.');
  switch (letter) {
    case 'p':
    case 'P':
    case 'o':
    case 'O':
      return ctx.file;
    case 's':
    case 'S':
      return name;
    case 'n':
    case 'N':
      return dot === -1 ? name : name.slice(0, dot);
    case 'e':
    case 'E':
      return dot === -1 ? '' : name.slice(dot + 1);
    case 'd':
    case 'D':
      return dir.endsWith('/') ? dir : `${dir}/`;
    case 'c':
    case 'C':
      return basename(dir);
    case 'v':
      return dir;
    case 'h':
      return ctx.host;
    case '%':
      return '%';
    default:
      return /^[0-9]$/.test(letter) ? (dir.split('/').filter((p) => p !== '')[Number(letter)] ?? '') : undefined;
  }
}
