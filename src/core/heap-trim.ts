// When to hand V8's heap back: after a burst (the start of 1,000 vassals, a big reconcile), V8
// promotes the burst's garbage to the old generation and, with no further pressure, keeps it and
// its pages for good (the idle footprint then varied 28-69 MB at 500 vassals from run to run).
// Pure, so the policy is table-tested; src/runtime/heap-trim.ts runs it on a timer.

/** What the policy remembers: the smallest heap seen since the last collection, the last reading. */
export interface HeapTrimState {
  /** bytes used right after the last collection (or the least seen since): the live estimate. */
  live: number;
  /** bytes used at the previous check. */
  last: number;
  /** checks since the last collection (or the start). */
  checks: number;
}

/** A reading of the heap: a periodic check, or the one taken right after a collection. */
export type HeapTrimEvent = { type: 'check'; used: number } | { type: 'collected'; used: number };

/** The thresholds, in bytes. */
export interface HeapTrimPolicy {
  /** collect only when at least this much (or a quarter of the live heap, if more) is garbage. */
  minGarbage: number;
  /** and only once the heap grew less than this since the previous check: the burst is over... */
  quietGrowth: number;
  /** ...or when this many checks passed since the last collection (a fleet whose sampling alone allocates more). */
  maxChecks: number;
  /** and at least this part of the live heap (live / share) is garbage. */
  share: number;
}

/**
 * The defaults: 1 MiB of garbage (or a 16th of the live heap: 1.2 MiB of 20 MiB at 1,000 vassals), quiet
 * under 1 MiB of growth per check, or every 4th check at the most. The readings are of the old generation
 * (the young one is collected by itself and has a fixed size), which an idle emperor grows by a few KB a
 * second: a collection every few minutes at the most, while a burst's leftovers no longer stay for good
 * (up to 5 MiB at 1,000 vassals under the first rule, 4 MiB or a quarter: 5 KB a vassal, run to run).
 */
export const HEAP_TRIM_POLICY: HeapTrimPolicy = { minGarbage: 1 << 20, quietGrowth: 1 << 20, maxChecks: 4, share: 16 };

/** The state before the first reading. */
export function initialHeapTrim(used: number): HeapTrimState {
  return { live: used, last: used, checks: 0 };
}

/** One step: the next state, and whether to collect now. */
export function heapTrimStep(state: HeapTrimState, event: HeapTrimEvent, policy: HeapTrimPolicy): { state: HeapTrimState; collect: boolean } {
  switch (event.type) {
    case 'check': {
      const live = Math.min(state.live, event.used);
      const checks = state.checks + 1;
      const quiet = event.used - state.last < policy.quietGrowth || checks >= policy.maxChecks;
      const garbage = event.used - live;
      const collect = quiet && garbage >= Math.max(policy.minGarbage, live / policy.share);
      return { state: { live, last: event.used, checks }, collect };
    }
    case 'collected':
      return { state: { live: event.used, last: event.used, checks: 0 }, collect: false };
    default: {
      const never: never = event;
      throw new Error(`unknown heap trim event ${JSON.stringify(never)}`);
    }
  }
}
