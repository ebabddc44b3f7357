// The keys of a native [vassal] section: which this version reads, which come later, and familiar names from elsewhere.

/** Keys this version of emperor reads in [vassal]. */
export const NATIVE_KEYS = [
  'command',
  'smart-attach-daemon',
  'directory',
  'env',
  'user',
  'group',
  'umask',
  'autostart',
  'instances',
  'restart',
  'exit-codes',
  'start-secs',
  'start-retries',
  'backoff',
  'backoff-max',
  'stop-signal',
  'stop-timeout',
  'reload-signal',
  'log',
  'stdout-log',
  'stderr-log',
  'log-max-size',
  'log-backups',
  'depends',
  'health-check',
  'health-interval',
  'health-timeout',
  'health-retries',
  'max-rss',
  'memory-max',
  'cpu-weight',
  'pids-max',
  'socket',
  // Readiness (src/config/native-readiness.ts).
  'notify',
  'watchdog',
  'watchdog-signal',
  'start-timeout',
  'ready-log-line',
  'alarm',
  'schedule',
  'schedule-timezone',
  'overlap',
  'catch-up',
] as const;

/** One key of NATIVE_KEYS. */
export type NativeKey = (typeof NATIVE_KEYS)[number];

/** Keys that may appear several times; every other key only once. */
export const REPEATABLE_KEYS: ReadonlySet<NativeKey> = new Set<NativeKey>(['env', 'depends', 'alarm']);

/** Names operators bring from supervisord, uWSGI and systemd, mapped to the native key for "did you mean". */
export const FAMILIAR_KEYS: Readonly<Record<string, NativeKey>> = {
  environment: 'env',
  autorestart: 'restart',
  stopwaitsecs: 'stop-timeout',
  numprocs: 'instances',
  chdir: 'directory',
  cwd: 'directory',
  workingdirectory: 'directory',
  uid: 'user',
  gid: 'group',
  logto: 'log',
  stdout_logfile: 'stdout-log',
  stderr_logfile: 'stderr-log',
  stdout_logfile_maxbytes: 'log-max-size',
  stderr_logfile_maxbytes: 'log-max-size',
  stdout_logfile_backups: 'log-backups',
  stderr_logfile_backups: 'log-backups',
  'log-maxsize': 'log-max-size',
  exitcodes: 'exit-codes',
  execstart: 'command',
  killsignal: 'stop-signal',
  'attach-daemon': 'command',
  'smart-attach-daemon2': 'smart-attach-daemon',
  pidfile: 'smart-attach-daemon',
  listenstream: 'socket',
  memorymax: 'memory-max',
  'limit-as': 'memory-max',
  cpuweight: 'cpu-weight',
  tasksmax: 'pids-max',
  'http-socket': 'socket',
  // Readiness, as systemd and process-compose name it.
  notifyaccess: 'notify',
  watchdogsec: 'watchdog',
  watchdogsignal: 'watchdog-signal',
  timeoutstartsec: 'start-timeout',
  'ready-log': 'ready-log-line',
  ready_log_line: 'ready-log-line',
};

/** `exit-codes` -> `exitCodes`: the VassalSpec field (and `lines` entry) a key sets. */
export function fieldOf(key: NativeKey): string {
  return key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** A native key, if `key` is one. */
export function asNativeKey(key: string): NativeKey | null {
  return (NATIVE_KEYS as readonly string[]).includes(key) ? (key as NativeKey) : null;
}
