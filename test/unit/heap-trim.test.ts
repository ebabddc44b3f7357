// The heap trim: its pure policy over every event in each situation, then its runner on fake timers
// and a fake heap, then the real collection (it frees a burst's garbage in this very process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_TRIM_POLICY, heapTrimStep, initialHeapTrim, type HeapTrimEvent, type HeapTrimState } from '../../src/core/heap-trim.ts';
import { HEAP_TRIM_INTERVAL_MS, startHeapTrim, type HeapPort } from '../../src/runtime/heap-trim.ts';
import { realHeap } from '../../src/cli/real-heap.ts';
import { FakeTime } from './fakes/runtime-time.ts';

const MB = 1 << 20;
// The table's thresholds (the first policy's: 4 MiB or a quarter); the defaults' own rows follow it.
const P = { minGarbage: 4 * MB, quietGrowth: 1 * MB, maxChecks: 4, share: 4 };

// situation, state, event -> expected state and collect
const TABLE: Array<[string, HeapTrimState, HeapTrimEvent, HeapTrimState, boolean]> = [
  ['no growth', { live: 10 * MB, last: 10 * MB, checks: 0 }, { type: 'check', used: 10 * MB }, { live: 10 * MB, last: 10 * MB, checks: 1 }, false],
  ['still growing fast (a burst)', { live: 10 * MB, last: 12 * MB, checks: 0 }, { type: 'check', used: 20 * MB }, { live: 10 * MB, last: 20 * MB, checks: 1 }, false],
  ['quiet after a burst, much garbage', { live: 10 * MB, last: 20 * MB, checks: 0 }, { type: 'check', used: 20 * MB }, { live: 10 * MB, last: 20 * MB, checks: 1 }, true],
  ['quiet, garbage under 4 MiB', { live: 10 * MB, last: 13 * MB, checks: 0 }, { type: 'check', used: 13 * MB }, { live: 10 * MB, last: 13 * MB, checks: 1 }, false],
  ['quiet, 5 MiB is under a quarter of a 40 MiB heap', { live: 40 * MB, last: 45 * MB, checks: 0 }, { type: 'check', used: 45 * MB }, { live: 40 * MB, last: 45 * MB, checks: 1 }, false],
  ['quiet, 11 MiB over a quarter of a 40 MiB heap', { live: 40 * MB, last: 51 * MB, checks: 0 }, { type: 'check', used: 51 * MB }, { live: 40 * MB, last: 51 * MB, checks: 1 }, true],
  ['V8 collected by itself: the live estimate drops', { live: 10 * MB, last: 14 * MB, checks: 2 }, { type: 'check', used: 8 * MB }, { live: 8 * MB, last: 8 * MB, checks: 3 }, false],
  ['collected: the reading is the live heap', { live: 10 * MB, last: 20 * MB, checks: 3 }, { type: 'collected', used: 11 * MB }, { live: 11 * MB, last: 11 * MB, checks: 0 }, false],
  ['growing steadily, 4th check since the last collection: collect anyway', { live: 10 * MB, last: 18 * MB, checks: 3 }, { type: 'check', used: 20 * MB }, { live: 10 * MB, last: 20 * MB, checks: 4 }, true],
  ['growing steadily, 4th check, too little garbage', { live: 10 * MB, last: 11 * MB, checks: 3 }, { type: 'check', used: 13 * MB }, { live: 10 * MB, last: 13 * MB, checks: 4 }, false],
];

test('heap trim policy: every event in each situation', () => {
  const kinds = new Set<HeapTrimEvent['type']>();
  for (const [name, before, event, after, collect] of TABLE) {
    const frozen = structuredClone(before);
    const out = heapTrimStep(before, event, P);
    assert.deepEqual(out, { state: after, collect }, name);
    assert.deepEqual(before, frozen, `${name}: input unchanged`);
    kinds.add(event.type);
  }
  assert.deepEqual([...kinds].sort(), ['check', 'collected'], 'the table covers every event');
  assert.deepEqual(initialHeapTrim(7), { live: 7, last: 7, checks: 0 });
});

// The defaults: a burst's leftovers of a MiB or two are given back too (they were 5 KB a vassal at 1,000).
const DEFAULTS: Array<[string, HeapTrimState, HeapTrimEvent, boolean]> = [
  ['quiet, 1.5 MiB of garbage on a 20 MiB heap', { live: 20 * MB, last: 21.5 * MB, checks: 0 }, { type: 'check', used: 21.5 * MB }, true],
  ['quiet, under a 16th of a 20 MiB heap', { live: 20 * MB, last: 21 * MB, checks: 0 }, { type: 'check', used: 21 * MB }, false],
  ['quiet, under 1 MiB on a small heap', { live: 8 * MB, last: 8.9 * MB, checks: 0 }, { type: 'check', used: 8.9 * MB }, false],
  ['still growing fast, much garbage', { live: 20 * MB, last: 22 * MB, checks: 0 }, { type: 'check', used: 30 * MB }, false],
  ['collected', { live: 20 * MB, last: 30 * MB, checks: 2 }, { type: 'collected', used: 21 * MB }, false],
];

test('heap trim policy: the defaults give back a burst\'s leftovers of a MiB or more', () => {
  assert.deepEqual(HEAP_TRIM_POLICY, { minGarbage: 1 * MB, quietGrowth: 1 * MB, maxChecks: 4, share: 16 });
  for (const [name, before, event, collect] of DEFAULTS) assert.equal(heapTrimStep(before, event, HEAP_TRIM_POLICY).collect, collect, name);
});

test('the real heap port reads the old generation: young garbage does not count', async () => {
  const before = realHeap.used();
  // Short-lived objects, far fewer than a semi-space holds: they stay in the young generation.
  let sum = 0;
  for (let i = 0; i < 2000; i++) sum += [i, i + 1].length;
  assert.equal(sum, 4000);
  assert.ok(Math.abs(realHeap.used() - before) < 256 * 1024, `old generation moved by ${realHeap.used() - before}`);
});

/** A heap whose use the test sets; a collection brings it back to `live`. */
function fakeHeap(live: number): HeapPort & { now: number; live: number; collections: number } {
  const h = { now: live, live, collections: 0, used: () => h.now, collect: () => ((h.collections += 1), (h.now = h.live)) };
  return h;
}

test('heap trim runner: collects once a burst is over, not during it, and stops', () => {
  const time = new FakeTime();
  const heap = fakeHeap(10 * MB);
  const trim = startHeapTrim(heap, time.timers);
  assert.equal(time.timersPending.length, 1);
  assert.equal(time.timersPending[0]?.unrefed, true, 'the timer never keeps the emperor alive');
  heap.now = 16 * MB; // the burst
  time.advance(HEAP_TRIM_INTERVAL_MS);
  heap.now = 24 * MB;
  time.advance(HEAP_TRIM_INTERVAL_MS);
  assert.equal(heap.collections, 0, 'no collection while the heap grows fast');
  heap.live = 12 * MB;
  time.advance(HEAP_TRIM_INTERVAL_MS); // quiet now
  assert.equal(heap.collections, 1);
  time.advance(10 * HEAP_TRIM_INTERVAL_MS);
  assert.equal(heap.collections, 1, 'nothing more to give back');
  heap.now = 17 * MB;
  time.advance(HEAP_TRIM_INTERVAL_MS);
  time.advance(HEAP_TRIM_INTERVAL_MS);
  assert.equal(heap.collections, 2, 'measured from the heap after the last collection');
  trim.stop();
  assert.equal(time.timersPending.length, 0);
});

test('the real heap port frees a burst of garbage and leaves the flags as they were', async () => {
  const { getHeapStatistics } = await import('node:v8');
  let junk: Array<{ i: number; s: string }> | null = [];
  for (let i = 0; i < 200_000; i++) junk.push({ i, s: `garbage ${i}` });
  const before = realHeap.used();
  junk = null;
  realHeap.collect();
  assert.ok(realHeap.used() < before, `used ${realHeap.used()} after ${before}`);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'gc is not left exposed');
  const { runInNewContext } = await import('node:vm');
  assert.equal(runInNewContext('typeof gc'), 'undefined', 'nor in the contexts made later');
  assert.ok(getHeapStatistics().total_physical_size > 0);
});

test('the native helper gives the allocator\'s free pages back (malloc_trim), when it is built', async (t) => {
  const { nativeHelper } = await import('../../src/io/native.ts');
  const helper = nativeHelper();
  if (typeof helper === 'string') return t.skip(helper);
  assert.equal(typeof helper.mallocTrim, 'function', 'rebuild the helper (node scripts/build-native.mjs)');
  assert.equal(typeof helper.mallocTrim?.(), 'boolean');
});

test('heap trim runner: gives the allocator its free pages back at every check that does not collect', () => {
  const time = new FakeTime();
  let released = 0;
  const heap = { ...fakeHeap(10 * MB), releaseFree: () => void (released += 1) };
  const trim = startHeapTrim(heap, time.timers);
  time.advance(3 * HEAP_TRIM_INTERVAL_MS);
  assert.equal(released, 3, 'one release a check');
  trim.stop();
  time.advance(3 * HEAP_TRIM_INTERVAL_MS);
  assert.equal(released, 3, 'none once stopped');
});
