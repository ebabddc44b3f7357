// supervisord's `stdout_logfile` / `stderr_logfile` / `redirect_stderr` and their rotation keys -> emperor's `log`,
// `stdout-log`, `stderr-log`, `log-max-size`, `log-backups`.

import type { Report } from './supervisord-sections.ts';
import type { Templated } from './spec.ts';
import { MAX_LOG_BACKUPS } from './spec-defaults.ts';

/** Where supervisord sends one stream. */
export type LogTarget =
  | { kind: 'default' }
  | { kind: 'auto'; line: number }
  | { kind: 'none'; line: number }
  | { kind: 'syslog'; line: number }
  | { kind: 'file'; path: Templated; line: number };

/** One stream's keys as read (sizes in bytes, null when not written). */
export interface StreamKeys {
  target: LogTarget;
  maxBytes: { value: number; line: number } | null;
  backups: { value: number; line: number } | null;
}

/** The log fields of a VassalSpec, with the line each came from. */
export interface LogFields {
  log: Templated | null;
  stdoutLog: Templated | null;
  stderrLog: Templated | null;
  logMaxSize: number;
  logBackups: number;
  lines: Record<string, number>;
}

/** supervisord's defaults of `*_logfile_maxbytes` and `*_logfile_backups`. */
export const SUPERVISORD_MAXBYTES = 50 * 1024 * 1024;
export const SUPERVISORD_BACKUPS = 10;

type Stream = 'stdout' | 'stderr';
/** A stream whose output lands in a file or a device (not the emperor's output). */
type WrittenStream = [Stream, StreamKeys];

/** An expanded `*_logfile` value: AUTO, NONE/OFF, the old `syslog`, or a path. */
export function logTarget(value: Templated, line: number): LogTarget {
  const lower = value.toLowerCase();
  if (lower === 'auto') return { kind: 'auto', line };
  if (lower === 'none' || lower === 'off') return { kind: 'none', line };
  if (lower === 'syslog') return { kind: 'syslog', line };
  return { kind: 'file', path: value, line };
}

/** The file a stream goes to in emperor: AUTO and syslog go to the emperor's output (null), NONE to /dev/null. */
function pathOf(key: string, target: LogTarget, warn: Report): Templated | null {
  switch (target.kind) {
    case 'default':
      return null;
    case 'auto':
      warn(target.line, `\`${key} = AUTO\`: emperor does not create AUTO log files; the output goes to the emperor's output instead (write a path to keep it in a file)`);
      return null;
    case 'syslog':
      warn(target.line, `\`${key} = syslog\`: emperor does not write to syslog; the output goes to the emperor's output instead (the journal, under systemd)`);
      return null;
    case 'none':
      return '/dev/null';
    case 'file':
      return target.path;
  }
}

/**
 * Maps the two streams: `redirect_stderr` puts stderr with stdout (`log`); two equal paths are one
 * `log`; otherwise `stdout-log` and `stderr-log`. Rotation follows the streams written to a file (see mapRotation).
 */
export function mapLogs(stdout: StreamKeys, stderr: StreamKeys, redirect: boolean, warn: Report): LogFields {
  const out = pathOf('stdout_logfile', stdout.target, warn);
  const lines: Record<string, number> = {};
  if (redirect) {
    if (stderr.target.kind === 'file') {
      warn(stderr.target.line, '`stderr_logfile` is ignored: `redirect_stderr = true` sends stderr to `stdout_logfile`, as in supervisord');
    }
    if (out !== null && stdout.target.kind !== 'default') lines['log'] = stdout.target.line;
    // As in supervisord, the stderr_logfile_* keys mean nothing once stderr joins stdout.
    const rotation = mapRotation(out === null ? [] : [['stdout', stdout]], warn);
    return { log: out, stdoutLog: null, stderrLog: null, ...rotation, lines: { ...lines, ...rotation.lines } };
  }
  const err = pathOf('stderr_logfile', stderr.target, warn);
  const written: WrittenStream[] = [];
  if (out !== null) written.push(['stdout', stdout]);
  if (err !== null) written.push(['stderr', stderr]);
  const rotation = mapRotation(written, warn);
  if (out !== null && out === err && stdout.target.kind !== 'default') {
    lines['log'] = stdout.target.line;
    return { log: out, stdoutLog: null, stderrLog: null, ...rotation, lines: { ...lines, ...rotation.lines } };
  }
  if (out !== null && stdout.target.kind !== 'default') lines['stdoutLog'] = stdout.target.line;
  if (err !== null && stderr.target.kind !== 'default') lines['stderrLog'] = stderr.target.line;
  return { log: null, stdoutLog: out, stderrLog: err, ...rotation, lines: { ...lines, ...rotation.lines } };
}

/** A device (`/dev/null`, `/dev/stdout`, `/dev/fd/1`...): never a file to rotate. */
function isDevice(stream: WrittenStream): boolean {
  const target = stream[1].target;
  return target.kind === 'none' || (target.kind === 'file' && target.path.startsWith('/dev/'));
}

/**
 * `logMaxSize` / `logBackups` from the streams written to files (stdout first), at supervisord's
 * defaults when a key is not written. emperor rotates a vassal's log files alike, so when the two
 * streams disagree stdout's value is taken, with a warning. A stream sent to a device counts only
 * when no stream goes to a real file (its `maxbytes = 0` is then kept, silently).
 */
function mapRotation(written: readonly WrittenStream[], warn: Report): Pick<LogFields, 'logMaxSize' | 'logBackups' | 'lines'> {
  const files = written.filter((s) => !isDevice(s));
  const rotated = files.length > 0 ? files : written;
  const report: Report = files.length > 0 ? warn : () => {};
  const lines: Record<string, number> = {};
  const maxBytes = pickRotation(rotated, 'maxBytes', report);
  if (maxBytes.line !== null) lines['logMaxSize'] = maxBytes.line;
  // Without rotation the backups mean nothing: no warning about them.
  const backups = pickRotation(rotated, 'backups', maxBytes.value === 0 ? () => {} : report);
  if (backups.line !== null) lines['logBackups'] = backups.line;
  let logBackups = backups.value;
  if (logBackups > MAX_LOG_BACKUPS) {
    if (maxBytes.value !== 0) {
      report(
        backups.line as number,
        `\`${backups.stream}_logfile_backups = ${logBackups}\`: emperor keeps at most ${MAX_LOG_BACKUPS} backups of a log file; ${MAX_LOG_BACKUPS} are kept`,
      );
    }
    logBackups = MAX_LOG_BACKUPS;
  }
  return { logMaxSize: maxBytes.value, logBackups, lines };
}

/** One rotation value: the first stream's (or supervisord's default), a warning when the second stream means another. */
function pickRotation(
  rotated: readonly WrittenStream[],
  field: 'maxBytes' | 'backups',
  warn: Report,
): { value: number; line: number | null; stream: Stream } {
  const fallback = field === 'maxBytes' ? SUPERVISORD_MAXBYTES : SUPERVISORD_BACKUPS;
  // supervisord rotates only with a positive maxbytes, and keeps backups only when there are more than 0.
  const meaning = (written: { value: number } | null): number => Math.max(written?.value ?? fallback, 0);
  const [first, second] = rotated;
  if (first === undefined) return { value: fallback, line: null, stream: 'stdout' };
  const [stream, keys] = first;
  const chosen = keys[field];
  const value = meaning(chosen);
  if (second !== undefined && meaning(second[1][field]) !== value) {
    const other = second[1][field];
    const suffix = field === 'maxBytes' ? 'maxbytes' : 'backups';
    const show = (written: { value: number } | null): string =>
      written === null ? `${describe(field, fallback)}, supervisord's default` : describe(field, written.value);
    // Two different meanings: at least one of the two is written.
    warn(
      other?.line ?? (chosen as { line: number }).line,
      `\`${second[0]}_logfile_${suffix}\` (${show(other)}) differs from \`${stream}_logfile_${suffix}\` (${show(chosen)}): emperor rotates both log files of a vassal alike, so ${stream}'s value applies to both`,
    );
  }
  return { value, line: chosen?.line ?? null, stream };
}

/** A maxbytes value in supervisord's units (`1MB`, `512KB`, bytes when not a whole unit), or a number of backups. */
function describe(field: 'maxBytes' | 'backups', n: number): string {
  if (field === 'backups' || n <= 0) return `\`${n}\``;
  for (const [unit, size] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (n % size === 0) return `\`${n / size}${unit}\``;
  }
  return `\`${n}\``;
}
