// Splitting a command line into argv as a POSIX shell splits words, without running a shell.

import type { Outcome } from '../core/errors.ts';
import { quote } from './problems.ts';

const BLANKS = new Set([' ', '\t', '\n', '\r']);
const ESCAPABLE_IN_DOUBLE_QUOTES = new Set(['$', '`', '"', '\\']);

/**
 * Splits words on unquoted blanks, honouring 'single quotes', "double quotes" (where a backslash
 * escapes only $ ` " \ and newline) and backslash escapes; expands nothing (no $VAR, globs, `~`, `#`).
 */
export function splitShellWords(s: string): Outcome<string[]> {
  const words: string[] = [];
  let word: string[] = [];
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (BLANKS.has(c)) {
      if (inWord) words.push(word.join(''));
      word = [];
      inWord = false;
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= s.length) {
        return { ok: false, message: 'the command ends with a backslash that escapes nothing; remove it, or write `\\\\` for a literal backslash' };
      }
      const next = s[i + 1] as string;
      if (next !== '\n') {
        word.push(next);
        inWord = true;
      }
      i += 2;
    } else if (c === "'") {
      const close = s.indexOf("'", i + 1);
      if (close === -1) return unterminated(s, i, "'");
      word.push(s.slice(i + 1, close));
      inWord = true;
      i = close + 1;
    } else if (c === '"') {
      const close = readDoubleQuoted(s, i + 1, word);
      if (close === -1) return unterminated(s, i, '"');
      inWord = true;
      i = close + 1;
    } else {
      word.push(c);
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word.join(''));
  return { ok: true, value: words };
}

/** Appends the inside of a double-quoted string starting at `from`; returns the index of the closing quote, or -1. */
function readDoubleQuoted(s: string, from: number, word: string[]): number {
  let j = from;
  while (j < s.length) {
    const c = s[j] as string;
    if (c === '"') return j;
    if (c === '\\' && j + 1 < s.length) {
      const next = s[j + 1] as string;
      if (ESCAPABLE_IN_DOUBLE_QUOTES.has(next)) {
        word.push(next);
        j += 2;
        continue;
      }
      if (next === '\n') {
        j += 2;
        continue;
      }
    }
    word.push(c);
    j += 1;
  }
  return -1;
}

function unterminated(s: string, at: number, mark: string): Outcome<string[]> {
  const name = mark === "'" ? 'single' : 'double';
  return {
    ok: false,
    message: `unterminated ${name} quote: ${quote(s.slice(at), 30)} has no closing \`${mark}\`; close it, or escape it as \`\\${mark}\``,
  };
}
