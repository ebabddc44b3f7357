// Building, quoting and ordering the problems reported about one file.

import type { ConfigProblem } from './spec.ts';
import type { ErrorCode } from '../core/errors.ts';

/** How many problems one file reports before the rest is summed up in one line. */
export const MAX_PROBLEMS = 20;

const QUOTE_LIMIT = 60;

/** An error that makes the file unusable. */
export function configError(file: string, line: number, message: string, code: ErrorCode = 'E_FILE_INVALID'): ConfigProblem {
  return { file, line, message, warning: false, code };
}

/** A warning: printed, but the file stays usable. */
export function configWarning(file: string, line: number, message: string, code: ErrorCode = 'W_FILE_WARNING'): ConfigProblem {
  return { file, line, message, warning: true, code };
}

/** Quotes text taken from a file for a message: in backticks, shortened, control characters escaped. */
export function quote(text: string, limit: number = QUOTE_LIMIT): string {
  const short = text.length > limit ? `${text.slice(0, limit)}...` : text;
  const safe = short.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `\`${safe}\``;
}

/** Puts problems in line order (stable: same-line problems keep their order) and keeps the first `max`, summing up the rest in a last line. */
export function finishProblems(problems: ConfigProblem[], max: number = MAX_PROBLEMS): ConfigProblem[] {
  if (max <= 0) return [];
  const sorted = problems.slice().sort((a, b) => a.line - b.line);
  if (sorted.length <= max) return sorted;
  const kept = sorted.slice(0, max);
  const rest = sorted.slice(max);
  const first = rest[0] as ConfigProblem;
  const summary: ConfigProblem = {
    file: first.file,
    line: first.line,
    message: `... ${rest.length} more problem${rest.length === 1 ? '' : 's'}`,
    warning: rest.every((p) => p.warning),
  };
  return [...kept, summary];
}
