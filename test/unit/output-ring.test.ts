// The output ring (emperorctl logs for vassals without a log file) and the instance's named timers:
// both make their Set/Map only when needed and drop it when empty, and behave as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputRing } from '../../src/runtime/output-ring.ts';
import { RunnerTimers } from '../../src/runtime/runner-timers.ts';
import { FakeTime } from './fakes/runtime-time.ts';

test('output ring: followers get each line until they stop, and can follow again', () => {
  const ring = new OutputRing();
  ring.push('before');
  const a: string[] = [];
  const b: string[] = [];
  const stopA = ring.follow((l) => a.push(l));
  const stopB = ring.follow((l) => b.push(l));
  ring.push('one\ntwo');
  assert.equal(stopA(), true);
  ring.push('three');
  assert.equal(stopB(), true);
  assert.equal(stopB(), false, 'a second stop is a no-op');
  ring.push('four');
  const c: string[] = [];
  const stopC = ring.follow((l) => c.push(l));
  ring.push('five');
  stopC();
  assert.deepEqual(a, ['one', 'two']);
  assert.deepEqual(b, ['one', 'two', 'three']);
  assert.deepEqual(c, ['five']);
  assert.deepEqual(ring.tail(10), ['before', 'one', 'two', 'three', 'four', 'five']);
});

test('runner timers: one per name, fired or cleared, none held when none is pending', () => {
  const time = new FakeTime();
  const timers = new RunnerTimers(time.timers);
  const fired: string[] = [];
  assert.equal(timers.handles.size, 0);
  timers.set('start-secs', 100, () => fired.push('start'));
  timers.set('start-secs', 200, () => fired.push('start again'));
  timers.set('stop-timeout', 50, () => fired.push('stop'));
  assert.deepEqual([...timers.handles.keys()].sort(), ['start-secs', 'stop-timeout']);
  time.advance(60);
  assert.deepEqual(fired, ['stop']);
  assert.deepEqual([...timers.handles.keys()], ['start-secs']);
  time.advance(200);
  assert.deepEqual(fired, ['stop', 'start again'], 're-arming replaced the first');
  assert.equal(timers.handles.size, 0);
  timers.set('backoff', 10, () => fired.push('backoff'));
  timers.clear('backoff');
  timers.set('watchdog', 10, () => fired.push('kill'));
  timers.clearAll();
  time.advance(100);
  assert.deepEqual(fired, ['stop', 'start again']);
  assert.equal(time.timersPending.length, 0);
});
