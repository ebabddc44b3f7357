// Readiness scenarios on a fake clock: READY=1, start-timeout, the 1 s floor, the watchdog, a vassal asking to stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LifecyclePolicy } from '../../src/core/lifecycle.ts';
import { POLICY, Sim } from './lifecycle-sim.ts';

const NOTIFY: LifecyclePolicy = {
  ...POLICY,
  startSecs: 5000,
  readiness: 'announce',
  startTimeout: 30_000,
  watchdog: 2000,
  watchdogSignal: 'SIGABRT',
  watchdogAtReady: true,
};

test('READY=1 makes it RUNNING at once, long before start-secs; start-secs plays no part', () => {
  const sim = new Sim(NOTIFY);
  sim.send({ type: 'start' });
  sim.spawned();
  assert.deepEqual([...sim.timers.keys()], ['start-timeout']);
  sim.advance(40);
  sim.send({ type: 'ready', how: 'READY=1' });
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.now, 40);
});

test('the 1 s floor holds after READY=1: dying 0.5 s after the spawn is a failed start', () => {
  const sim = new Sim(NOTIFY);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.send({ type: 'ready', how: 'READY=1' });
  sim.advance(500);
  sim.exit(1);
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.equal(sim.inst.failures, 1);
  assert.ok(!sim.timers.has('watchdog'), 'the dead process owes no more pings');
});

test('no READY=1 by start-timeout: stop-signal, then a failed start once the group is gone', () => {
  const sim = new Sim(NOTIFY);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(29_999);
  assert.equal(sim.inst.state, 'STARTING');
  sim.advance(1);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.deepEqual(sim.signals, [{ at: 30_000, signal: 'SIGINT' }]);
  sim.exit(null, 'SIGINT');
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.match(sim.inst.error ?? '', /^not ready 30s after start \(start-timeout\)/);
  sim.advance(60_000);
  assert.equal(sim.spawns, 2);
});

test('EXTEND_TIMEOUT_USEC pushes start-timeout back', () => {
  const sim = new Sim(NOTIFY);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(25_000);
  sim.send({ type: 'extend-timeout', ms: 20_000 });
  sim.advance(10_000);
  assert.equal(sim.inst.state, 'STARTING');
  sim.send({ type: 'ready', how: 'READY=1' });
  assert.equal(sim.inst.state, 'RUNNING');
});

test('WATCHDOG=1 pings keep it up; a missed one restarts it with SIGABRT within the period, counted as a restart', () => {
  const sim = new Sim(NOTIFY);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.send({ type: 'ready', how: 'READY=1' });
  for (let i = 0; i < 5; i++) {
    sim.advance(1500);
    sim.send({ type: 'watchdog-ping' });
  }
  assert.equal(sim.inst.state, 'RUNNING');
  const lastPing = sim.now;
  sim.advance(2000);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.deepEqual(sim.signals, [{ at: lastPing + 2000, signal: 'SIGABRT' }]);
  assert.equal(sim.inst.watchdogFires, 1);
  sim.exit(null, 'SIGABRT');
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.restarts, 1);
  assert.equal(sim.inst.error, 'watchdog fired: no WATCHDOG=1 for 2s; restarted with SIGABRT');
});

test('uWSGI heartbeats: the deadline is armed by the first heartbeat, not by readiness', () => {
  const sim = new Sim({ ...NOTIFY, watchdog: 30_000, watchdogSignal: 'SIGKILL', watchdogAtReady: false });
  sim.send({ type: 'start' });
  sim.spawned();
  sim.send({ type: 'ready', how: 'uWSGI 5' });
  sim.advance(120_000);
  assert.equal(sim.inst.state, 'RUNNING', 'no heartbeat yet: none owed');
  sim.send({ type: 'watchdog-ping' });
  sim.advance(30_000);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.signals[0]?.signal, 'SIGKILL');
  assert.match(sim.inst.error ?? '', /no heartbeat for 30s/);
});

test('a vassal asking to be stopped (uWSGI 22) ends EXITED, not crashed, and is not restarted', () => {
  const sim = new Sim({ ...NOTIFY, watchdog: 0 });
  sim.send({ type: 'start' });
  sim.spawned();
  sim.send({ type: 'ready', how: 'READY=1' });
  sim.advance(5000);
  sim.send({ type: 'stop-requested', why: 'uWSGI 22: the vassal asked to be stopped' });
  sim.exit(0);
  assert.equal(sim.inst.state, 'EXITED');
  assert.equal(sim.inst.error, null);
  assert.equal(sim.inst.restarts, 0);
  sim.advance(600_000);
  assert.equal(sim.spawns, 1);
});

test('STATUS= is kept while the process lives and cleared by its respawn', () => {
  const sim = new Sim(NOTIFY);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.send({ type: 'status', text: 'loading models' });
  assert.equal(sim.inst.statusText, 'loading models');
  sim.advance(2000);
  sim.exit(1);
  assert.equal(sim.inst.statusText, 'loading models', 'shown until a new process starts');
  sim.advance(60_000);
  assert.equal(sim.inst.statusText, null);
});
