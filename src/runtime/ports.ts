// The runtime's effects as ports: everything that reads time, waits, draws chance or touches a process.
// Real adapters are built in src/cli/ (real-ports.ts); unit tests pass fakes.
import type { Clock } from './clock.ts';

/** A scheduled callback; `unref` lets the process exit while it is pending. */
export interface TimerHandle {
  unref?(): unknown;
}

/** Timers: one-shot and repeating callbacks (setTimeout/setInterval in production, a fake clock in tests). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
}

/** Uniform randomness in [0, 1) (backoff jitter). */
export type Random = () => number;

/** Signals to processes and groups, and whether they live. */
export interface Signals {
  /** signals a whole process group; false when none of it exists. */
  killGroup(pgid: number, signal: string): boolean;
  /** signals one process; false when it does not exist. */
  kill(pid: number, signal: string): boolean;
  /** whether a process group has a live (non-zombie) member. */
  groupAlive(pgid: number): boolean;
}

/** Time as a whole: the monotonic clock, timers and wall-clock milliseconds (display and pidfile age only). */
export interface TimePorts {
  clock: Clock;
  timers: Timers;
  /** Unix milliseconds (Date.now), for display and comparison with file times only. */
  wallMs(): number;
}
