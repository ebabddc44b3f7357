// supervisord's value types (Python's int(), byte_size, list_of_exitcodes, auto_restart), with emperor's messages.

import { quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import type { RestartPolicy } from './spec.ts';
import type { IgnoredKind } from './supervisord-keys.ts';
import { MAX_DURATION_MS, parseBool } from './values.ts';

const MAX_INPUT = 64;
/** Python's int(): optional sign, digits with single `_` between them; blanks around allowed. */
const PY_INT = /^\s*([+-]?\d+(?:_\d+)*)\s*$/;
const SIZE_UNITS: Readonly<Record<string, number>> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const MAX_SECONDS = Math.floor(MAX_DURATION_MS / 1000);

/** A whole number as Python's int() reads it, within [min, max]. */
export function pyInteger(text: string, range: { min: number; max: number }): Outcome<number> {
  const m = text.length <= MAX_INPUT ? PY_INT.exec(text) : null;
  const value = m ? Number((m[1] as string).replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    return { ok: false, message: `expected a whole number from ${range.min} to ${range.max}, got ${quote(text)}` };
  }
  return { ok: true, value: Object.is(value, -0) ? 0 : value };
}

/** `startsecs`, `stopwaitsecs`: whole seconds (supervisord takes no units) -> milliseconds. */
export function pySeconds(text: string): Outcome<number> {
  const r = pyInteger(text, { min: 0, max: MAX_SECONDS });
  if (r.ok) return { ok: true, value: r.value * 1000 };
  return { ok: false, message: `expected a whole number of seconds from 0 to ${MAX_SECONDS} (supervisord takes no units), got ${quote(text)}` };
}

/** supervisord's byte_size: a whole number with an optional `KB`, `MB` or `GB` (any case), in bytes. */
export function pyByteSize(text: string): Outcome<number> {
  const lower = text.toLowerCase();
  const unit = SIZE_UNITS[lower.slice(-2)];
  const r = pyInteger(unit === undefined ? lower : lower.slice(0, -2), { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  const bytes = r.ok ? r.value * (unit ?? 1) : NaN;
  if (!Number.isSafeInteger(bytes)) {
    return { ok: false, message: `expected a size such as \`50MB\`, \`512KB\` or \`1GB\` (supervisord's units; a bare number is bytes), got ${quote(text)}` };
  }
  return { ok: true, value: bytes };
}

/** supervisord's list_of_exitcodes: codes 0..255 separated by commas; empty means none. */
export function pyExitCodes(text: string): Outcome<number[]> {
  if (text === '') return { ok: true, value: [] };
  const codes: number[] = [];
  for (const word of text.split(',')) {
    const code = pyInteger(word, { min: 0, max: 255 });
    if (!code.ok) return { ok: false, message: `expected exit codes from 0 to 255 separated by commas, e.g. \`0,2\`, got ${quote(word)}` };
    if (!codes.includes(code.value)) codes.push(code.value);
  }
  return { ok: true, value: codes };
}

/** `autorestart`: true -> always, false -> never, unexpected -> on-failure. */
export function pyAutorestart(text: string): Outcome<RestartPolicy> {
  if (text.toLowerCase() === 'unexpected') return { ok: true, value: 'on-failure' };
  const b = parseBool(text);
  if (b.ok) return { ok: true, value: b.value ? 'always' : 'never' };
  return { ok: false, message: `expected \`true\`, \`false\` or \`unexpected\`, got ${quote(text)}` };
}

/** Checks the value of a key emperor ignores, as supervisord would read it. */
export function checkIgnored(kind: IgnoredKind, text: string): Outcome<unknown> {
  switch (kind) {
    case 'integer': {
      const r = pyInteger(text, { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
      return r.ok ? r : { ok: false, message: `expected a whole number, got ${quote(text)}` };
    }
    case 'boolean':
      return parseBool(text);
    case 'size':
      return pyByteSize(text);
    case 'text':
      return { ok: true, value: text };
  }
}
