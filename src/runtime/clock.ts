// Monotonic time for every decision, wall time only for display. The real clock is built in
// src/cli/real-ports.ts (systemClock); unit tests use a fake one.

/** The clock the runtime reads; injected so tests can control it. */
export interface Clock {
  /** monotonic milliseconds. */
  now(): number;
  /** Unix seconds (with fraction) of a monotonic instant, for display. */
  unixSeconds(monotonic: number): number;
}
