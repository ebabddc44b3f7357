// When the log writer writes in place and when through the thread pool: a write into the page cache
// takes microseconds, so it is done in place; a disk that stalls sends the writes to the pool for a
// while, so the event loop never waits on it. One slow write alone is not enough: on a busy machine
// the emperor can be preempted in the middle of a fast one.

/** A write that takes longer than this is slow ... */
export const SLOW_WRITE_MS = 10;
/** ... and a second slow one within this long means the disk is slow ... */
export const SLOW_AGAIN_MS = 1000;
/** ... so the writes go through the thread pool for this long. */
export const ASYNC_FOR_MS = 10_000;

/** When the last slow write was, and until when writes go through the thread pool (ms, monotonic). */
export interface WritePace {
  readonly slowAt: number;
  readonly asyncUntil: number;
}

/** No slow write seen: writes in place. */
export const STEADY: WritePace = { slowAt: -Infinity, asyncUntil: -Infinity };

/** Whether a write at `now` goes in place (else through the thread pool). */
export function writesInPlace(pace: WritePace, now: number): boolean {
  return now >= pace.asyncUntil;
}

/** The pace after a write that took `tookMs` and ended at `now` (the same object when nothing changed). */
export function afterWrite(pace: WritePace, tookMs: number, now: number): WritePace {
  if (tookMs <= SLOW_WRITE_MS) return pace;
  if (now - pace.slowAt <= SLOW_AGAIN_MS) return { slowAt: -Infinity, asyncUntil: now + ASYNC_FOR_MS };
  return { slowAt: now, asyncUntil: pace.asyncUntil };
}
