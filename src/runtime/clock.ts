// Monotonic time for every decision, wall time only for display.
import { performance } from 'node:perf_hooks';

/** The clock the runtime reads; injected so tests can control it. */
export interface Clock {
  /** monotonic milliseconds. */
  now(): number;
  /** Unix seconds (with fraction) of a monotonic instant, for display. */
  unixSeconds(monotonic: number): number;
}

/** The real clock: performance.now, anchored to the wall clock once at start. */
export const systemClock: Clock = {
  now: () => performance.now(),
  unixSeconds: (m) => (performance.timeOrigin + m) / 1000,
};
