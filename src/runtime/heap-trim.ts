// Runs the heap trim policy (src/core/heap-trim.ts) on one unref'd timer: a heap reading every
// few seconds, and a compacting collection when a burst has left garbage behind.
import { HEAP_TRIM_POLICY, heapTrimStep, initialHeapTrim, type HeapTrimPolicy } from '../core/heap-trim.ts';
import type { TimerHandle, Timers } from './ports.ts';

/** The JS heap as the trim sees it (real: src/cli/real-heap.ts; tests: a fake). */
export interface HeapPort {
  /** bytes of the JS heap's old generation in use, garbage included (the young one empties itself). */
  used(): number;
  /** a full, compacting collection that returns freed pages to the system. */
  collect(): void;
  /**
   * the allocator's free pages back to the system (malloc_trim), at every check: V8's compiler threads
   * free their working memory after each optimisation, and it stayed mapped in their arenas (about
   * 1.3 MB at 500 vassals, made after the last collection). Absent without the native helper.
   */
  releaseFree?(): void;
}

/** A running trim. */
export interface HeapTrim {
  stop(): void;
}

/** How often the heap is read (a reading costs microseconds). */
export const HEAP_TRIM_INTERVAL_MS = 5000;

/** Starts reading the heap every `intervalMs`; collects when the policy says so. */
export function startHeapTrim(heap: HeapPort, timers: Timers, intervalMs = HEAP_TRIM_INTERVAL_MS, policy: HeapTrimPolicy = HEAP_TRIM_POLICY): HeapTrim {
  let state = initialHeapTrim(heap.used());
  const handle: TimerHandle = timers.setInterval(() => {
    const step = heapTrimStep(state, { type: 'check', used: heap.used() }, policy);
    state = step.state;
    if (!step.collect) {
      heap.releaseFree?.();
      return;
    }
    heap.collect();
    state = heapTrimStep(state, { type: 'collected', used: heap.used() }, policy).state;
  }, intervalMs);
  handle.unref?.();
  return { stop: () => timers.clearInterval(handle) };
}
