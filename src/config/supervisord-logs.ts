// supervisord's `stdout_logfile` / `stderr_logfile` / `redirect_stderr` -> emperor's `log`, `stdout-log`, `stderr-log`.

import type { Report } from './supervisord-sections.ts';
import type { Templated } from './spec.ts';

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
  lines: Record<string, number>;
}

const SUPERVISORD_MAXBYTES = 50 * 1024 * 1024;

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
 * `log`; otherwise `stdout-log` and `stderr-log`. Rotation keys asking for rotation of a real file get a warning.
 */
export function mapLogs(stdout: StreamKeys, stderr: StreamKeys, redirect: boolean, warn: Report): LogFields {
  const out = pathOf('stdout_logfile', stdout.target, warn);
  const lines: Record<string, number> = {};
  warnRotation('stdout', stdout, out, warn);
  if (redirect) {
    if (stderr.target.kind === 'file') {
      warn(stderr.target.line, '`stderr_logfile` is ignored: `redirect_stderr = true` sends stderr to `stdout_logfile`, as in supervisord');
    }
    if (out !== null && stdout.target.kind !== 'default') lines['log'] = stdout.target.line;
    return { log: out, stdoutLog: null, stderrLog: null, lines };
  }
  const err = pathOf('stderr_logfile', stderr.target, warn);
  warnRotation('stderr', stderr, err, warn);
  if (out !== null && out === err && stdout.target.kind !== 'default') {
    lines['log'] = stdout.target.line;
    return { log: out, stdoutLog: null, stderrLog: null, lines };
  }
  if (out !== null && stdout.target.kind !== 'default') lines['stdoutLog'] = stdout.target.line;
  if (err !== null && stderr.target.kind !== 'default') lines['stderrLog'] = stderr.target.line;
  return { log: null, stdoutLog: out, stderrLog: err, lines };
}

/** Rotation of a real file is asked for (a positive maxbytes, or backups with supervisord's 50MB default) but not done yet. */
function warnRotation(stream: string, keys: StreamKeys, path: Templated | null, warn: Report): void {
  if (path === null || path === '/dev/null') return;
  const maxBytes = keys.maxBytes?.value ?? SUPERVISORD_MAXBYTES;
  if (maxBytes <= 0) return;
  const later = 'log rotation is not supported by this version of emperor yet';
  if (keys.maxBytes !== null) {
    warn(keys.maxBytes.line, `\`${stream}_logfile_maxbytes\`: ${later}; the file grows without limit`);
  }
  if (keys.backups !== null && keys.backups.value > 0) {
    warn(keys.backups.line, `\`${stream}_logfile_backups\`: ${later}; no backups are kept`);
  }
}
