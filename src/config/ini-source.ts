// Text -> sections of keys with their line numbers: our own INI reader, so no line is skipped silently.

import type { ConfigProblem } from './spec.ts';
import type { Outcome } from '../core/errors.ts';
import { configError, finishProblems, MAX_PROBLEMS, quote } from './problems.ts';

/** One `key = value` line (plus its continuation lines), where it was written. */
export interface IniEntry {
  key: string;
  /** trimmed; continuation lines are joined with '\n'. */
  value: string;
  line: number;
  /** a key written without `=` (only with `bareKeys`). */
  bare: boolean;
  /** the indented lines that continued the value, as written (comment cut, trimmed). */
  continuation: IniLine[];
}

/** One physical line of a file. */
export interface IniLine {
  line: number;
  text: string;
}

/** One `[name]` header and the entries under it; a repeated header gives a second section. */
export interface IniSection {
  name: string;
  line: number;
  entries: IniEntry[];
}

/** A whole file as read: its sections in file order and its syntax problems. */
export interface IniDocument {
  file: string;
  sections: IniSection[];
  problems: ConfigProblem[];
  /** the file holds NUL bytes: nothing was read. */
  binary: boolean;
}

/** The syntax points on which the dialects sharing this reader differ. */
export interface IniOptions {
  /** an indented line after a key continues its value (Python configparser); default true. */
  continuationLines?: boolean;
  /** a line without `=` is a key with no value (uWSGI's `master`); default false: an error. */
  bareKeys?: boolean;
  /** what starts a comment after whitespace inside a line; default `;` only. */
  inlineCommentPrefixes?: readonly string[];
  /** problems reported before the rest is summed up; default 20. */
  maxProblems?: number;
}

interface OpenEntry {
  entry: IniEntry;
  indent: number;
  blanks: number;
}

/** Reads INI text in one linear pass, keeping every key with its line and reporting every bad line. */
export function readIni(file: string, text: string, options: IniOptions = {}): IniDocument {
  const continuation = options.continuationLines ?? true;
  const bareKeys = options.bareKeys ?? false;
  const prefixes = new Set(options.inlineCommentPrefixes ?? [';']);
  const problems: ConfigProblem[] = [];
  const fail = (line: number, message: string): void => {
    problems.push(configError(file, line, message, 'E_INI_SYNTAX'));
  };

  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const message = 'the file holds NUL bytes, so it is binary, not INI text; keep only text vassal files here';
    return { file, sections: [], problems: [configError(file, lineAt(text, nul), message, 'E_INI_SYNTAX')], binary: true };
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const replaced = body.indexOf('\uFFFD');
  if (replaced !== -1) fail(lineAt(body, replaced), 'this line is not valid UTF-8; save the file as UTF-8');

  const sections: IniSection[] = [];
  let current: IniSection | null = null;
  let brokenHeader = false;
  let open: OpenEntry | null = null;
  let lineNo = 0;
  for (let start = 0; start <= body.length; ) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    let raw = body.slice(start, end);
    start = end + 1;
    lineNo += 1;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);

    const trimmed = raw.trim();
    if (trimmed === '') {
      if (open) open.blanks += 1;
      continue;
    }
    if (trimmed.startsWith(';') || trimmed.startsWith('#')) continue;
    const content = stripInlineComment(raw, prefixes).trim();
    const indent = raw.length - raw.trimStart().length;
    if (continuation && open && indent > open.indent) {
      const sep = open.entry.value === '' && open.blanks === 0 ? '' : '\n'.repeat(open.blanks + 1);
      open.entry.value += sep + content;
      open.entry.continuation.push({ line: lineNo, text: content });
      open.blanks = 0;
      continue;
    }
    open = null;

    if (content.startsWith('[')) {
      const header = readHeader(content);
      if (header.ok) {
        current = { name: header.value, line: lineNo, entries: [] };
        sections.push(current);
        brokenHeader = false;
      } else {
        fail(lineNo, header.message);
        current = null;
        brokenHeader = true;
      }
      continue;
    }

    const eq = content.indexOf('=');
    if (eq === -1 && !bareKeys) {
      const hint = content.includes(':') ? '; write `=` between the key and its value' : '';
      fail(lineNo, `expected \`key = value\` or \`[section]\`, got ${quote(content)}${hint}`);
      continue;
    }
    const key = eq === -1 ? content : content.slice(0, eq).trim();
    const value = eq === -1 ? '' : content.slice(eq + 1).trim();
    if (key === '') {
      fail(lineNo, `${quote(content)} has no key before \`=\`; write \`key = value\``);
      continue;
    }
    if (current === null) {
      if (!brokenHeader) {
        fail(lineNo, `${quote(key)} comes before any section header; put a header such as \`[vassal]\` above it`);
      }
      continue;
    }
    const entry: IniEntry = { key, value, line: lineNo, bare: eq === -1, continuation: [] };
    current.entries.push(entry);
    if (!entry.bare) open = { entry, indent, blanks: 0 };
  }
  return { file, sections, problems: finishProblems(problems, options.maxProblems ?? MAX_PROBLEMS), binary: false };
}

/** `[name]` -> name, or the reason the header is malformed. */
function readHeader(content: string): Outcome<string> {
  const close = content.indexOf(']');
  if (close === -1) {
    return { ok: false, message: `${quote(content)} is missing its closing \`]\`; write a section header as \`[name]\`` };
  }
  const rest = content.slice(close + 1).trim();
  if (rest !== '' && !rest.startsWith('#') && !rest.startsWith(';')) {
    return {
      ok: false,
      message: `unexpected ${quote(rest)} after the section header ${quote(content.slice(0, close + 1))}; only a comment may follow \`]\``,
    };
  }
  const name = content.slice(1, close).trim();
  if (name === '') return { ok: false, message: 'empty section name `[]`; name the section, e.g. `[vassal]`' };
  return { ok: true, value: name };
}

/** Cuts the line at the first comment prefix that follows whitespace (`a;b` keeps its `;`). */
function stripInlineComment(line: string, prefixes: ReadonlySet<string>): string {
  for (let i = 1; i < line.length; i += 1) {
    const before = line[i - 1];
    if (prefixes.has(line[i] as string) && (before === ' ' || before === '\t')) return line.slice(0, i);
  }
  return line;
}

/** 1-based line number of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}
