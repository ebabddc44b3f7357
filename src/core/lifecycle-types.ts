// The lifecycle's vocabulary: an instance, the policy it obeys, the events it takes, the effects it asks for.
import type { InstanceStateName } from './states.ts';
import type { RestartPolicy } from '../config/spec.ts';

/** How one process ended. `at` is monotonic milliseconds. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
}

/** Everything the lifecycle knows about one instance. Times are monotonic milliseconds. */
export interface Instance {
  state: InstanceStateName;
  pid: number | null;
  spawnedAt: number | null;
  /** failed starts in a row. */
  failures: number;
  /** spawns that followed an exit nobody asked for. */
  restarts: number;
  lastExit: ExitInfo | null;
  backoffUntil: number | null;
  error: string | null;
  /**
   * Where a stop in progress leads: stay stopped, start again (a restart someone asked for),
   * or recover (a restart the emperor decided: health or memory; it counts in `restarts`);
   * `exit`: the vassal asked to be stopped (uWSGI's 22), EXITED once gone; `fail`: a start that
   * timed out (no readiness by start-timeout), a failed start once gone.
   */
  then: 'stay' | 'start' | 'recover' | 'exit' | 'fail';
  /** start-secs has elapsed since the spawn. */
  startSecsDone: boolean;
  /** the health check has passed since the spawn. */
  healthPassed: boolean;
  /** health check failures in a row. */
  healthFailures: number;
  /** why the emperor last restarted it on its own (health, memory); kept until an operator or file acts. */
  recovery: string | null;
  /** the vassal's last `STATUS=` (sd_notify), shown as `status_text`; null when none. */
  statusText: string | null;
  /** times the watchdog fired (a missed WATCHDOG=1 or uWSGI heartbeat), for its own metric. */
  watchdogFires: number;
}

/** The supervision settings the lifecycle obeys (durations in ms, signals as names). */
export interface LifecyclePolicy {
  restart: RestartPolicy;
  exitCodes: readonly number[];
  startSecs: number;
  startRetries: number;
  backoff: number;
  backoffMax: number;
  stopSignal: string;
  stopTimeout: number;
  /** whether the vassal has a health check: RUNNING then also needs a first pass. */
  healthCheck: boolean;
  healthRetries: number;
  /**
   * How STARTING ends: `start-secs` (alive that long), or `announce`: the vassal says it is ready
   * (`READY=1`, uWSGI's 5, a ready log line), bounded by `startTimeout`. Absent: `start-secs`.
   */
  readiness?: 'start-secs' | 'announce';
  /** ms an announcing vassal has to say it is ready (systemd's TimeoutStartSec, 90 s by default). */
  startTimeout?: number;
  /** ms between the pings a live vassal owes (WATCHDOG=1, uWSGI's 26); 0 or absent: no watchdog. */
  watchdog?: number;
  /** what a missed ping sends (systemd's WatchdogSignal, SIGABRT). */
  watchdogSignal?: string;
  /** the deadline is armed at readiness (sd_notify), not only at the first ping (uWSGI heartbeats). */
  watchdogAtReady?: boolean;
  /** a scheduled run: with `restart = never`, any exit ends it (EXITED), never a failed start. */
  oneShot?: boolean;
}

/** Facts the runner supplies with each event: the clock and a random number for jitter. */
export interface LifecycleContext {
  now: number;
  random: number;
  policy: LifecyclePolicy;
}

/** Timers an instance may hold; at most one of each. */
export type TimerName = 'start-secs' | 'backoff' | 'stop-timeout' | 'group-poll' | 'start-timeout' | 'watchdog';

/** What can happen to an instance. */
export type LifecycleEvent =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'spawned'; pid: number }
  | { type: 'spawn-failed'; error: string }
  | { type: 'exited'; code: number | null; signal: string | null; groupAlive: boolean; reason?: string }
  | { type: 'timer'; timer: TimerName; groupAlive: boolean }
  | { type: 'health'; ok: boolean; message: string }
  | { type: 'over-memory'; rss: number; limit: number }
  /** the vassal says it is ready: `how` names the sign (`READY=1`, `uWSGI 5`, `a ready log line`). */
  | { type: 'ready'; how: string }
  /** WATCHDOG=1 or a uWSGI heartbeat (26). */
  | { type: 'watchdog-ping' }
  /** STATUS=... */
  | { type: 'status'; text: string }
  /** the vassal asks to be stopped (uWSGI's 22: die-on-idle and friends). */
  | { type: 'stop-requested'; why: string }
  /** EXTEND_TIMEOUT_USEC: the start may take this much longer from now. */
  | { type: 'extend-timeout'; ms: number };

/** What the runner must do, as data. */
export type Effect =
  | { type: 'spawn' }
  | { type: 'kill-group'; signal: string }
  | { type: 'set-timer'; timer: TimerName; ms: number }
  | { type: 'clear-timer'; timer: TimerName };

/** The outcome of one event: the new instance, the effects to carry out, and a line for the event log. */
export interface Transition {
  next: Instance;
  effects: Effect[];
  note: string | null;
}

/** A fresh, never-started instance. */
export function initialInstance(): Instance {
  return {
    state: 'STOPPED',
    pid: null,
    spawnedAt: null,
    failures: 0,
    restarts: 0,
    lastExit: null,
    backoffUntil: null,
    error: null,
    then: 'stay',
    startSecsDone: false,
    healthPassed: false,
    healthFailures: 0,
    recovery: null,
    statusText: null,
    watchdogFires: 0,
  };
}
