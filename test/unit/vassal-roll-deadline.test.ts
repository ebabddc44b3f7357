// The roll deadline at run time: one timer on the timer port, replaced, cleared, fired once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RollDeadline } from '../../src/runtime/vassal-roll.ts';
import { FakeTimers } from './fakes/vassal-services.ts';

test('the roll deadline fires once for the replacement it was set for; a new one replaces it; clear disarms it', () => {
  const timers = new FakeTimers();
  const fired: number[] = [];
  const d = new RollDeadline(timers, (id) => fired.push(id));
  d.set(1, 1000);
  d.set(2, 3000);
  assert.equal(timers.count, 1, 'one deadline at a time');
  timers.advance(2999);
  assert.deepEqual(fired, []);
  timers.advance(1);
  assert.deepEqual(fired, [2]);
  d.set(3, 500);
  d.clear();
  timers.advance(10_000);
  assert.deepEqual(fired, [2]);
  assert.equal(timers.count, 0);
});
