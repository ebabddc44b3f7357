// Pure coercions of INI values (durations, sizes, booleans, signals, umasks, integers), with messages that show the expected form.

import { constants } from 'node:os';
import type { Outcome } from '../core/errors.ts';
import { quote } from './problems.ts';

/** The longest delay Node's timers can wait (2^31-1 ms, about 24.8 days); longer ones would fire at once. */
export const MAX_DURATION_MS = 2_147_483_647;

const MAX_INPUT = 64;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

function fail<T>(expected: string, text: string): Outcome<T> {
  return { ok: false, message: `expected ${expected}, got ${quote(text)}` };
}

/** `250ms`, `10s`, `5m`, `1h`, `1.5s`, or a bare number of seconds -> milliseconds. */
export function parseDuration(text: string): Outcome<number> {
  const expected = 'a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds)';
  const s = text.trim();
  const m = s.length <= MAX_INPUT ? /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/i.exec(s) : null;
  if (!m) return fail(expected, text);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = Math.round(Number(m[1]) * (DURATION_UNITS[unit] ?? 1000));
  if (ms > MAX_DURATION_MS) {
    return { ok: false, message: `${quote(text)} is too long: a duration can be at most 24 days (\`596h\`)` };
  }
  return { ok: true, value: ms };
}

/** `512K`, `10M`, `1G` (also `KB`, `MB`, `GB`, any case), or a bare number of bytes -> bytes (1K = 1024). */
export function parseSize(text: string): Outcome<number> {
  const expected = 'a size such as `512K`, `10M` or `1G` (a bare number is bytes)';
  const s = text.trim();
  const m = s.length <= MAX_INPUT ? /^(\d+(?:\.\d+)?)\s*([kmgt]?)(b?)$/i.exec(s) : null;
  if (!m) return fail(expected, text);
  const bytes = Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) return { ok: false, message: `${quote(text)} is too large for a size` };
  return { ok: true, value: bytes };
}

/** `true/false/yes/no/on/off/1/0`, in any case. */
export function parseBool(text: string): Outcome<boolean> {
  const s = text.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return { ok: true, value: true };
  if (FALSE_WORDS.has(s)) return { ok: true, value: false };
  return fail('`true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`)', text);
}

/** `TERM`, `SIGTERM`, `sigterm` or `15` -> `SIGTERM`, checked against this system's signals. */
export function parseSignal(text: string): Outcome<string> {
  const expected = 'a signal such as `TERM`, `INT`, `HUP`, `QUIT` or `USR1` (also `SIGTERM`, or a number like `15`)';
  const s = text.trim().toUpperCase();
  const signals: Record<string, number> = constants.signals;
  if (/^\d{1,3}$/.test(s)) {
    const number = Number(s);
    const name = Object.keys(signals).find((n) => signals[n] === number);
    return name === undefined ? fail(expected, text) : { ok: true, value: name };
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  return Object.hasOwn(signals, name) ? { ok: true, value: name } : fail(expected, text);
}

/** An octal umask: `022`, `0022` or `0o022`, from 0 to 0o777. */
export function parseOctal(text: string): Outcome<number> {
  const s = text.trim();
  const m = /^(?:0o)?([0-7]{1,4})$/i.exec(s);
  if (!m) return fail('an octal umask such as `022` or `0o027`', text);
  const value = parseInt(m[1] as string, 8);
  if (value > 0o777) return { ok: false, message: `${quote(text)} is out of range: a umask goes from \`000\` to \`777\`` };
  return { ok: true, value };
}

/** A whole number within [min, max]. */
export function parseInteger(text: string, range: { min: number; max: number }): Outcome<number> {
  const s = text.trim();
  const expected = `a whole number from ${range.min} to ${range.max}`;
  if (s.length > MAX_INPUT || !/^[+-]?\d+$/.test(s)) return fail(expected, text);
  const value = Number(s);
  if (value < range.min || value > range.max) return fail(expected, text);
  return { ok: true, value: Object.is(value, -0) ? 0 : value };
}

/** Exit codes separated by commas or spaces (`0, 2` or `0 2`), each 0..255; duplicates dropped. */
export function parseExitCodes(text: string): Outcome<number[]> {
  const words = text.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 0) return fail('exit codes from 0 to 255 separated by commas, e.g. `0, 2`', text);
  const codes: number[] = [];
  for (const word of words) {
    const code = parseInteger(word, { min: 0, max: 255 });
    if (!code.ok) return { ok: false, message: `expected exit codes from 0 to 255 separated by commas, e.g. \`0, 2\`, got ${quote(word)}` };
    if (!codes.includes(code.value)) codes.push(code.value);
  }
  return { ok: true, value: codes };
}
