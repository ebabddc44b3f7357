// How often an idle instance is sampled: an instance whose CPU did not move since its last sample is
// read less and less often (an idle process cannot grow its memory without using CPU), down to
// one sample in MAX_IDLE_SKIP + 1; any CPU use brings it back to every sample.

/** The most samples an idle instance sits out in a row: 5, so 30 s at the default 5 s interval. */
export const MAX_IDLE_SKIP = 5;

/** One instance's place in the backoff: how many idle samples in a row, how many to sit out next. */
export interface SampleBackoff {
  idleStreak: number;
  skip: number;
}

/** A newly followed instance: sampled every time until it shows idle. */
export const FRESH_BACKOFF: SampleBackoff = { idleStreak: 0, skip: 0 };

/** Whether this sample reads the instance; the state after the (possibly skipped) sample. */
export function dueNow(b: SampleBackoff): { due: boolean; next: SampleBackoff } {
  if (b.skip > 0) return { due: false, next: { idleStreak: b.idleStreak, skip: b.skip - 1 } };
  return { due: true, next: b };
}

/** After a read: idle (no CPU since the last read) doubles the samples sat out (1, 3, then MAX_IDLE_SKIP); busy resets. */
export function afterRead(b: SampleBackoff, idle: boolean): SampleBackoff {
  if (!idle) return FRESH_BACKOFF;
  const idleStreak = b.idleStreak + 1;
  return { idleStreak, skip: Math.min(2 ** idleStreak - 1, MAX_IDLE_SKIP) };
}
