// The delay before a failed start is tried again: pure, so it can be table-tested.

/** Backoff settings of one vassal, in milliseconds. */
export interface BackoffPolicy {
  base: number;
  max: number;
}

/** Jitter applied around the nominal delay: +-10%. */
export const BACKOFF_JITTER = 0.1;

/**
 * Delay after the Nth failed start in a row (N >= 1): base doubled each time, capped at max,
 * with +-10% jitter; `random` is in [0, 1). The result never exceeds max.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: number): number {
  const n = Math.max(1, Math.floor(failures));
  const nominal = Math.min(policy.max, policy.base * 2 ** Math.min(n - 1, 52));
  const jittered = nominal * (1 + BACKOFF_JITTER * (2 * random - 1));
  return Math.max(0, Math.min(policy.max, Math.round(jittered)));
}
