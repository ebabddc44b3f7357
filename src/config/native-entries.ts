// The entries of a [vassal] section grouped by key, and the one way their values are expanded and coerced.

import type { IniEntry } from './ini-source.ts';
import type { MagicContext } from './magic.ts';
import type { ErrorCode, Outcome } from '../core/errors.ts';
import type { Templated } from './spec.ts';
import { INSTANCE_MARK } from './spec.ts';
import { expandMagic } from './magic.ts';
import { asNativeKey, FAMILIAR_KEYS, NATIVE_KEYS, REPEATABLE_KEYS } from './native-keys.ts';
import type { NativeKey } from './native-keys.ts';
import { MAX_PROBLEMS, quote } from './problems.ts';
import { closestWord } from './suggest.ts';

/** Reports an error at a line of the file being built, with its code (the reporter's default without one). */
export type Fail = (line: number, message: string, code?: ErrorCode) => void;

const TEMPLATED_KEYS = '`command`, `directory`, `env`, `log`, `stdout-log`, `stderr-log` and `health-check`';

/**
 * Groups entries by key in file order, reporting unknown, unsupported and repeated keys.
 * Past MAX_PROBLEMS unknown keys no suggestion is computed: those lines are never shown, and garbage stays cheap.
 */
export function collectEntries(all: readonly IniEntry[], fail: Fail): Map<NativeKey, IniEntry[]> {
  const entries = new Map<NativeKey, IniEntry[]>();
  let unknown = 0;
  for (const entry of all) {
    checkContinuation(entry, fail);
    const key = asNativeKey(entry.key);
    if (key === null) {
      unknown += 1;
      fail(entry.line, unknownKeyMessage(entry.key, unknown <= MAX_PROBLEMS), 'E_KEY_UNKNOWN');
      continue;
    }
    const seen = entries.get(key);
    if (seen === undefined) entries.set(key, [entry]);
    else if (REPEATABLE_KEYS.has(key)) seen.push(entry);
    else fail(entry.line, `\`${key}\` is already set on line ${(seen[0] as IniEntry).line}`, 'E_KEY_REPEATED');
  }
  return entries;
}

/** An indented `key = value` under another key continues that value: almost surely an indented key meant on its own. */
function checkContinuation(entry: IniEntry, fail: Fail): void {
  for (const { line, text } of entry.continuation) {
    const written = /^([A-Za-z][A-Za-z0-9_-]*)\s*=/.exec(text)?.[1];
    if (written === undefined || asNativeKey(written) === null) continue;
    fail(
      line,
      `${quote(text)} is indented, so it continues \`${entry.key}\` from line ${entry.line}; remove the indentation to make it a key of its own`,
    );
  }
}

/** Why a key is refused: unknown, with the familiar or closest key suggested. */
export function unknownKeyMessage(key: string, suggest = true): string {
  const lower = key.toLowerCase();
  const familiar = Object.hasOwn(FAMILIAR_KEYS, lower) ? FAMILIAR_KEYS[lower] : undefined;
  const suggestion = familiar ?? (suggest ? closestWord(key, NATIVE_KEYS) : null);
  return suggestion === null
    ? `unknown key ${quote(key)}; see the vassal file reference in README.md`
    : `unknown key ${quote(key)}; did you mean \`${suggestion}\`?`;
}

/** Reads entry values: magic-expanded, then coerced; every problem reported as `` `key`: message ``. */
export interface ValueReader {
  /** the expanded value, or null after reporting; `%i` only where `templated`. */
  expand(entry: IniEntry, templated: boolean): Templated | null;
  /** the coerced value, or null after reporting. */
  coerce<T>(entry: IniEntry, parse: (s: string) => Outcome<T>, templated?: boolean): T | null;
  /** reports a failed Outcome against an entry. */
  report(entry: IniEntry, failed: { message: string; code?: ErrorCode }): void;
}

/** The ValueReader of one file. */
export function valueReader(magic: MagicContext, fail: Fail): ValueReader {
  const report = (entry: IniEntry, failed: { message: string; code?: ErrorCode }): void => {
    fail(entry.line, `\`${entry.key}\`: ${failed.message}`, failed.code ?? 'E_VALUE_INVALID');
  };
  const expand = (entry: IniEntry, templated: boolean): Templated | null => {
    if (entry.value === '') {
      fail(entry.line, `\`${entry.key}\` is empty; give it a value or remove the line`, 'E_VALUE_INVALID');
      return null;
    }
    const r = expandMagic(entry.value, magic);
    if (!r.ok) {
      report(entry, r);
      return null;
    }
    if (!templated && r.value.includes(INSTANCE_MARK)) {
      report(entry, {
        message: `\`%i\` (the instance index) can only be used in ${TEMPLATED_KEYS}; write \`%%i\` for the literal text`,
      });
      return null;
    }
    return r.value;
  };
  const coerce = <T>(entry: IniEntry, parse: (s: string) => Outcome<T>, templated = false): T | null => {
    const text = expand(entry, templated);
    if (text === null) return null;
    const r = parse(text);
    if (r.ok) return r.value;
    report(entry, r);
    return null;
  };
  return { expand, coerce, report };
}
