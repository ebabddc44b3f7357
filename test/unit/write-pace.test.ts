// The write pace: in place while writes are fast; two slow writes close together send them to the thread pool for a while.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterWrite, ASYNC_FOR_MS, SLOW_AGAIN_MS, SLOW_WRITE_MS, STEADY, writesInPlace, type WritePace } from '../../src/io/write-pace.ts';

const FAST = SLOW_WRITE_MS;
const SLOW = SLOW_WRITE_MS + 1;
const T = 50_000;

// Every kind of pace (steady, one slow write behind, through the pool) against a fast and a slow write.
const CASES: Array<{ name: string; pace: WritePace; took: number; now: number; inPlaceAfter: boolean; slowAt: number }> = [
  { name: 'steady, fast write', pace: STEADY, took: FAST, now: T, inPlaceAfter: true, slowAt: -Infinity },
  { name: 'steady, slow write: remembered, still in place', pace: STEADY, took: SLOW, now: T, inPlaceAfter: true, slowAt: T },
  { name: 'one slow behind, fast write', pace: { slowAt: T, asyncUntil: -Infinity }, took: FAST, now: T + 10, inPlaceAfter: true, slowAt: T },
  { name: 'one slow behind, slow again soon: thread pool', pace: { slowAt: T, asyncUntil: -Infinity }, took: SLOW, now: T + SLOW_AGAIN_MS, inPlaceAfter: false, slowAt: -Infinity },
  { name: 'one slow behind long ago, slow again: remembered anew', pace: { slowAt: T, asyncUntil: -Infinity }, took: SLOW, now: T + SLOW_AGAIN_MS + 1, inPlaceAfter: true, slowAt: T + SLOW_AGAIN_MS + 1 },
  { name: 'thread pool, fast write: stays', pace: { slowAt: -Infinity, asyncUntil: T + ASYNC_FOR_MS }, took: FAST, now: T + 1, inPlaceAfter: false, slowAt: -Infinity },
  { name: 'thread pool, slow write: stays', pace: { slowAt: -Infinity, asyncUntil: T + ASYNC_FOR_MS }, took: SLOW, now: T + 1, inPlaceAfter: false, slowAt: T + 1 },
];

for (const c of CASES) {
  test(`write pace: ${c.name}`, () => {
    const next = afterWrite(c.pace, c.took, c.now);
    assert.equal(writesInPlace(next, c.now), c.inPlaceAfter);
    assert.equal(next.slowAt, c.slowAt);
    if (c.took <= SLOW_WRITE_MS) assert.equal(next, c.pace, 'a fast write changes nothing (no allocation)');
  });
}

test('write pace: the thread pool lasts ASYNC_FOR_MS after the second slow write, then writes go in place again', () => {
  const pace = afterWrite(afterWrite(STEADY, SLOW, T), SLOW, T + 1);
  assert.equal(writesInPlace(pace, T + ASYNC_FOR_MS), false);
  assert.equal(writesInPlace(pace, T + 1 + ASYNC_FOR_MS), true);
});
