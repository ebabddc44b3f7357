// The validated shape of one vassal, as every dialect produces it and the runtime consumes it.
import type { ErrorCode } from '../core/errors.ts';

import type { SocketAddress } from './socket-address.ts';
import type { ReadinessSpec } from './readiness-spec.ts';

/** Which file format a vassal came from. */
export type Dialect = 'vassal' | 'uwsgi' | 'supervisord';

/** When a process that exits is started again. */
export type RestartPolicy = 'always' | 'on-failure' | 'never';

/**
 * A string that may still hold the instance index: the parser expands every magic variable
 * except `%i`, which it leaves as INSTANCE_MARK; `expandInstance` fills it in per instance.
 */
export type Templated = string;

/** Placeholder for `%i` inside Templated strings (a private-use character no file contains). */
export const INSTANCE_MARK = '\uE000';

/** Replaces the `%i` placeholder with the instance index. */
export function expandInstance(value: Templated, index: number): string {
  return value.includes(INSTANCE_MARK) ? value.split(INSTANCE_MARK).join(String(index)) : value;
}

/** Where a key was written, for `FILE:LINE: message` errors. */
export interface Located {
  file: string;
  line: number;
}

/** One vassal, fully validated; durations in milliseconds, sizes in bytes, signals as names ('SIGTERM'). */
export interface VassalSpec {
  name: string;
  file: string;
  dialect: Dialect;
  /** argv, already split like a POSIX shell splits words; each word may hold `%i`. */
  command: Templated[];
  /** absolute; defaults to the file's directory. */
  directory: Templated;
  /** in file order; later keys win. */
  env: Array<[string, Templated]>;
  user: string | null;
  group: string | null;
  /** numeric umask or null for the emperor's. */
  umask: number | null;
  autostart: boolean;
  instances: number;
  restart: RestartPolicy;
  exitCodes: number[];
  startSecs: number;
  startRetries: number;
  backoff: number;
  backoffMax: number;
  stopSignal: string;
  stopTimeout: number;
  reloadSignal: string | null;
  /** both streams; relative paths are resolved against --log-dir by the runtime. */
  log: Templated | null;
  stdoutLog: Templated | null;
  stderrLog: Templated | null;
  /**
   * bytes: a log file is rotated (to PATH.1 ... PATH.N) before a line would make it pass this size;
   * a longer line is written whole. 0 never rotates.
   */
  logMaxSize: number;
  /** rotated files kept (PATH.1 ... PATH.N); 0 keeps none: a rotation starts PATH afresh. */
  logBackups: number;
  depends: string[];
  /** `http://HOST:PORT/PATH` (a 2xx passes) or `tcp://HOST:PORT` (a connection passes); may hold `%i`. */
  healthCheck: Templated | null;
  healthInterval: number; // ms, default 10s
  healthTimeout: number;  // ms, default 2s
  healthRetries: number;  // failures in a row that restart it, default 3, min 1
  /** bytes; restart (gracefully) when the instance's process tree uses more resident memory. */
  maxRss: number | null;
  /** bytes; the cgroup's memory.max (the kernel's OOM killer acts above it); needs the memory controller. */
  memoryMax: number | null;
  /** 1 to 10000, the cgroup's cpu.weight (100 is the default share); needs the cpu controller. */
  cpuWeight: number | null;
  /** processes and threads at most, the cgroup's pids.max; needs the pids controller. */
  pidsMax: number | null;
  /**
   * A smart-attached daemon (SPEC section 5): the absolute pidfile it is supervised through, or
   * null for a plain vassal. With a pidfile, `command` is `['/bin/sh', '-c', COMMAND]`.
   */
  pidfile: string | null;
  /**
   * Who writes the pidfile: `daemon` (smart-attach-daemon: the command forks into the
   * background and writes it) or `emperor` (uWSGI's smart-attach-daemon2: the command stays in
   * the foreground; the emperor records its pid in the pidfile).
   */
  pidfileBy: 'daemon' | 'emperor';
  /** `command[0]` stands for the uWSGI binary (`--uwsgi`), for `[uwsgi]` app files. */
  uwsgiApp: boolean;
  /**
   * The listening socket the emperor binds and holds, handed to every instance as fd 3 with
   * LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES (systemd's socket activation); null without `socket`.
   */
  socket: SocketAddress | null;
  /** `alarm = NAME` lines: the `[alarm:NAME]` sections of --config told about this vassal. */
  alarm: string[];
  /** a cron expression: a one-shot job started at those times (config/cron.ts); null for a service. */
  schedule: string | null;
  /** the IANA timezone of `schedule`; null: the emperor's. */
  scheduleTimezone: string | null;
  /** a run still going at the next time: `skip` it, `queue` one more, or `kill` it and start anew. */
  overlap: 'skip' | 'queue' | 'kill';
  /** run once at start when a time was missed while the emperor was down. */
  catchUp: boolean;
  /** supervisord `process_name` per instance, for display only (empty otherwise). */
  instanceNames: string[];
  /** line of each key that was set, for messages about it. */
  lines: Record<string, number>;
  /** how it says it is ready and what it waits to complete (the readiness keys); absent: the defaults. */
  readiness?: ReadinessSpec;
}

/** One problem in a file. */
export interface ConfigProblem extends Located {
  message: string;
  /** warnings never make a file invalid. */
  warning: boolean;
  /** what kind of problem (core/error-codes.ts); absent only on the "... N more problems" line. */
  code?: ErrorCode;
}

/** What parsing one file yields: the vassals it defines, or the problems that make it unusable. */
export interface ParsedFile {
  file: string;
  /** empty when the file has errors. */
  vassals: VassalSpec[];
  /** errors and warnings, in line order. */
  problems: ConfigProblem[];
  /** the dialect detected, if any. */
  dialect: Dialect | null;
}

/** Keys whose change does not reshape the process (SPEC section 4): they take effect without a restart. */
export const SUPERVISION_KEYS: ReadonlyArray<keyof VassalSpec> = [
  'autostart',
  'restart',
  'exitCodes',
  'startSecs',
  'startRetries',
  'backoff',
  'backoffMax',
  'stopSignal',
  'stopTimeout',
  'reloadSignal',
  'logMaxSize',
  'logBackups',
  'depends',
  'healthCheck',
  'healthInterval',
  'healthTimeout',
  'healthRetries',
  'maxRss',
  'alarm',
  'schedule',
  'scheduleTimezone',
  'overlap',
  'catchUp',
];
