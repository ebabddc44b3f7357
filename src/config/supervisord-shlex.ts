// Python's shlex as supervisord uses it: `command` split in POSIX mode, `environment` lexed in the old (non-POSIX) mode.

import { quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import { INSTANCE_MARK } from './spec.ts';

const BLANKS = ' \t\r\n';
const QUOTES = '\'"';
/** shlex's non-POSIX word characters plus the `/.+-():` supervisord adds; INSTANCE_MARK stands for digits. */
const ENV_WORD = /^[A-Za-z0-9_/.+\-():\uE000]$/;

/**
 * `shlex.split(command)`, which supervisord runs without a shell: words split on blanks,
 * 'single' and "double" quotes, backslash escapes (inside double quotes only before `"` and `\`).
 * Nothing is expanded (`$(...)`, `$VAR`, globs and `#` stay as written).
 */
export function splitCommand(s: string): Outcome<string[]> {
  const words: string[] = [];
  let word = '';
  let quoted = false;
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (BLANKS.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      quoted = false;
      inWord = false;
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= s.length) return { ok: false, message: 'the command ends with a backslash that escapes nothing; remove it, or write `\\\\` for a literal backslash' };
      word += s[i + 1];
      inWord = true;
      i += 2;
    } else if (QUOTES.includes(c)) {
      const end = readQuoted(s, i);
      if (end === null) return unterminated(s, i);
      word += end.text;
      quoted = true;
      inWord = true;
      i = end.next;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord && (word !== '' || quoted)) words.push(word);
  return { ok: true, value: words };
}

/** The inside of a quoted part starting at `from` (its quote), with POSIX shlex's escapes, or null if it never closes. */
function readQuoted(s: string, from: number): { text: string; next: number } | null {
  const mark = s[from] as string;
  let text = '';
  for (let j = from + 1; j < s.length; j += 1) {
    const c = s[j] as string;
    if (c === mark) return { text, next: j + 1 };
    if (c === '\\' && mark === '"') {
      const next = s[j + 1];
      if (next === undefined) return null;
      text += next === '"' || next === '\\' ? next : `\\${next}`;
      j += 1;
    } else {
      text += c;
    }
  }
  return null;
}

function unterminated(s: string, at: number): Outcome<string[]> {
  const mark = s[at] as string;
  const name = mark === "'" ? 'single' : 'double';
  return {
    ok: false,
    message: `unterminated ${name} quote: ${quote(s.slice(at), 30)} has no closing \`${mark}\`; close it, or escape it as \`\\${mark}\``,
  };
}

/** What supervisord's `dict_of_key_value_pairs` makes of an `environment` value. */
export interface EnvPairs {
  pairs: Array<[string, string]>;
  /** a `#` outside quotes cut a line short (shlex reads it as a comment). */
  commentCut: boolean;
  /** the first token supervisord skipped as a separator that is not a comma, and the pair before it. */
  dropped: { token: string; after: string } | null;
}

/**
 * `KEY="value",KEY2=value2` as supervisord reads it: shlex tokens taken three at a time (key, `=`,
 * value) with one separator token skipped after each, whatever it is; quotes around a value are
 * removed, commas inside quotes kept. An unquoted value ends at a blank or any character but letters, digits and `_/.+-():`.
 */
export function parseEnvironment(s: string): Outcome<EnvPairs> {
  const lexed = lexOldShlex(s);
  if (!lexed.ok) return lexed;
  const tokens = lexed.value.tokens;
  const pairs: Array<[string, string]> = [];
  let dropped: EnvPairs['dropped'] = null;
  for (let i = 0; i < tokens.length; i += 4) {
    const separator = tokens[i - 1];
    if (i > 0 && separator !== undefined && separator !== ',') dropped ??= { token: separator, after: tokens.slice(i - 4, i - 1).join('') };
    const [key, eq, value] = tokens.slice(i, i + 3);
    if (key === undefined || eq !== '=' || value === undefined) {
      const after = pairs.length === 0 ? 'at the start' : `after ${quote(tokens.slice(i - 4, i - 1).join(''))}`;
      return {
        ok: false,
        message: `expected \`KEY=value\` pairs separated by commas, e.g. \`A="1",B="2"\`, but ${after} comes ${quote(tokens.slice(i, i + 3).join(' '))}; quote values that hold blanks or characters other than letters, digits and \`_/.+-():\``,
      };
    }
    if (key.includes(INSTANCE_MARK)) {
      return { ok: false, message: 'a variable name cannot hold `%(process_num)d` in emperor; put the instance number in the value' };
    }
    if (!ENV_WORD.test(key[0] as string)) {
      return { ok: false, message: `${quote(key)} is not a variable name; write \`KEY=value\` with an unquoted name` };
    }
    pairs.push([key, stripQuotes(value)]);
  }
  const last = tokens.length % 4 === 0 ? tokens[tokens.length - 1] : undefined;
  if (last !== undefined && last !== ',') dropped ??= { token: last, after: tokens.slice(-4, -1).join('') };
  return { ok: true, value: { pairs, commentCut: lexed.value.commentCut, dropped } };
}

/** Python's `str.strip('\'"')`. */
function stripQuotes(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && QUOTES.includes(value[start] as string)) start += 1;
  while (end > start && QUOTES.includes(value[end - 1] as string)) end -= 1;
  return value.slice(start, end);
}

/** shlex in non-POSIX mode: words, quoted strings (quotes kept), single-character tokens; `#` comments to the end of the line. */
function lexOldShlex(s: string): Outcome<{ tokens: string[]; commentCut: boolean }> {
  const tokens: string[] = [];
  let commentCut = false;
  let i = 0;
  const skipLine = (): void => {
    const nl = s.indexOf('\n', i);
    i = nl === -1 ? s.length : nl + 1;
    commentCut = true;
  };
  while (i < s.length) {
    const c = s[i] as string;
    i += 1;
    if (BLANKS.includes(c)) continue;
    if (c === '#') {
      skipLine();
    } else if (QUOTES.includes(c)) {
      const close = s.indexOf(c, i);
      if (close === -1) {
        return { ok: false, message: `unterminated quote: ${quote(s.slice(i - 1), 30)} has no closing \`${c}\`; close it` };
      }
      tokens.push(s.slice(i - 1, close + 1));
      i = close + 1;
    } else if (ENV_WORD.test(c)) {
      let word = c;
      // In a word, quotes are plain characters and a `#` skips the rest of the line without ending the word.
      while (i < s.length) {
        const d = s[i] as string;
        if (d === '#') {
          skipLine();
        } else if (ENV_WORD.test(d) || QUOTES.includes(d)) {
          word += d;
          i += 1;
        } else {
          break;
        }
      }
      tokens.push(word);
    } else {
      tokens.push(c);
    }
  }
  return { ok: true, value: { tokens, commentCut } };
}
