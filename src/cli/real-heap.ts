// The real heap port: V8's statistics, and a compacting full collection without --expose-gc on
// the node command line (the emperor runs as `node bin/emperor.js`, and from unit files).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HeapPort } from '../runtime/heap-trim.ts';

function collectCompacting(): void {
  // The gc() of a throwaway context (exposed only while it is made); compaction forced for this
  // one collection, so the pages the burst's garbage was spread over are freed, not kept.
  setFlagsFromString('--expose-gc');
  let gc: () => void;
  try {
    gc = runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** V8's heap, for src/runtime/heap-trim.ts. */
export const realHeap: HeapPort = {
  used: () => getHeapStatistics().used_heap_size,
  collect: collectCompacting,
};
