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
   * or recover (a restart the emperor decided: health or memory; it counts in `restarts`).
   */
  then: 'stay' | 'start' | 'recover';
  /** start-secs has elapsed since the spawn. */
  startSecsDone: boolean;
  /** the health check has passed since the spawn. */
  healthPassed: boolean;
  /** health check failures in a row. */
  healthFailures: number;
  /** why the emperor last restarted it on its own (health, memory); kept until an operator or file acts. */
  recovery: string | null;
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
export type TimerName = 'start-secs' | 'backoff' | 'stop-timeout' | 'group-poll';

/** What can happen to an instance. */
export type LifecycleEvent =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'spawned'; pid: number }
  | { type: 'spawn-failed'; error: string }
  | { type: 'exited'; code: number | null; signal: string | null; groupAlive: boolean }
  | { type: 'timer'; timer: TimerName; groupAlive: boolean }
  | { type: 'health'; ok: boolean; message: string }
  | { type: 'over-memory'; rss: number; limit: number };

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
  };
}
