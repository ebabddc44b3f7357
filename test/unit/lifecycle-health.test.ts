// Lifecycle scenarios for health checks and max-rss (SPEC sections 3 and 4), on the fake clock of lifecycle-sim.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LifecyclePolicy } from '../../src/core/lifecycle.ts';
import { POLICY, Sim } from './lifecycle-sim.ts';

const HEALTH: LifecyclePolicy = { ...POLICY, healthCheck: true, healthRetries: 3 };
const MIB = 1024 * 1024;
const WAITING = 'up for start-secs; waiting for the first health check to pass';

test('with a health check, start-secs alone does not make RUNNING; the first pass after it does', () => {
  const sim = new Sim(HEALTH);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(1000);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.startSecsDone, true);
  assert.equal(sim.inst.healthPassed, false);
  assert.equal(sim.notes.at(-1), WAITING);
  assert.equal(sim.timers.size, 0, 'no timer left: only a probe can finish the start');
  sim.advance(60_000);
  assert.equal(sim.inst.state, 'STARTING', 'time alone never does it');
  const t = sim.health(true, 'HTTP 200');
  assert.equal(sim.inst.state, 'RUNNING');
  assert.deepEqual(t.effects, []);
  assert.equal(t.note, 'health check passed');
  assert.equal(sim.inst.healthPassed, true);
  assert.equal(sim.inst.error, null);
  assert.equal(sim.inst.restarts, 0);
  assert.equal(sim.spawns, 1);
});

test('a pass before start-secs is remembered: start-secs then makes RUNNING', () => {
  const sim = new Sim(HEALTH);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(200);
  const t = sim.health(true, 'HTTP 200');
  assert.equal(sim.inst.state, 'STARTING', 'start-secs not up yet');
  assert.equal(t.note, null);
  assert.equal(sim.inst.healthPassed, true);
  sim.advance(799);
  assert.equal(sim.inst.state, 'STARTING');
  sim.advance(1);
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.inst.startSecsDone, true);
  assert.ok(!sim.notes.includes(WAITING));
});

test('start-secs = 0 with a health check: STARTING until the first pass', () => {
  const sim = new Sim({ ...HEALTH, startSecs: 0 });
  sim.send({ type: 'start' });
  const t = sim.send({ type: 'spawned', pid: 42 });
  assert.deepEqual(t.effects, [], 'no start-secs timer');
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.startSecsDone, true);
  sim.advance(5000);
  sim.health(false, 'connection refused');
  assert.equal(sim.inst.state, 'STARTING');
  sim.health(true, 'connected');
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.inst.error, null);
});

test('start-secs = 0 with a health check: a pass does not excuse dying < 1 s after spawn', () => {
  const sim = new Sim({ ...HEALTH, startSecs: 0 });
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(100);
  sim.health(true, 'HTTP 200');
  assert.equal(sim.inst.state, 'RUNNING');
  sim.advance(100);
  sim.exit(1);
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.equal(sim.inst.failures, 1);
});

test('failing probes while STARTING keep it STARTING, with the reason in error, however many', () => {
  const sim = new Sim(HEALTH);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(1000);
  for (let i = 1; i <= HEALTH.healthRetries * 3; i++) {
    sim.advance(10_000);
    const t = sim.health(false, `HTTP 503 (probe ${i})`);
    assert.equal(sim.inst.state, 'STARTING', `probe ${i}`);
    assert.deepEqual(t.effects, [], `probe ${i}: no restart while STARTING`);
    assert.equal(sim.inst.error, `health check not passing yet: HTTP 503 (probe ${i})`);
    assert.equal(sim.inst.healthFailures, i);
  }
  assert.equal(sim.spawns, 1);
  assert.equal(sim.signals.length, 0);
  assert.equal(sim.inst.recovery, null);
  sim.health(true, 'HTTP 200');
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.inst.error, null);
  assert.equal(sim.inst.healthFailures, 0);
});

test('a process that never passes and then dies is a failed start', () => {
  const sim = new Sim({ ...HEALTH, startRetries: 2 });
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(1000);
  sim.health(false, 'connection refused');
  sim.advance(30_000);
  sim.exit(1);
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.equal(sim.inst.failures, 1);
  assert.equal(sim.inst.error, 'exited with code 1 31.0s after start');
  sim.advance(60_000);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.healthFailures, 0, 'a new process starts a new series');
  assert.equal(sim.inst.startSecsDone, false);
});

test('RUNNING: health-retries - 1 failures only note; a pass resets the count', () => {
  const sim = new Sim(HEALTH);
  sim.bringUp();
  for (let round = 0; round < 3; round++) {
    for (let i = 1; i < HEALTH.healthRetries; i++) {
      sim.advance(10_000);
      const t = sim.health(false, 'HTTP 500');
      assert.equal(sim.inst.state, 'RUNNING');
      assert.deepEqual(t.effects, []);
      assert.equal(t.note, `health check failed (${i} of 3): HTTP 500`);
      assert.equal(sim.inst.error, null, 'RUNNING shows no error for a failure below health-retries');
    }
    sim.advance(10_000);
    const t = sim.health(true, 'HTTP 200');
    assert.equal(t.note, 'health check passing again');
    assert.equal(sim.inst.healthFailures, 0);
    assert.equal(sim.inst.state, 'RUNNING');
  }
  assert.equal(sim.spawns, 1);
  assert.equal(sim.signals.length, 0);
  assert.equal(sim.inst.restarts, 0);
});

test('RUNNING: health-retries failures in a row restart it gracefully; restarts counts it; recovery keeps the reason', () => {
  const sim = new Sim(HEALTH);
  sim.bringUp();
  sim.advance(60_000);
  sim.health(false, 'HTTP 500');
  sim.advance(10_000);
  sim.health(false, 'HTTP 502');
  sim.advance(10_000);
  const stopAt = sim.now;
  const t = sim.health(false, 'HTTP 503');
  const why = 'health check failed 3 times in a row (HTTP 503): restarted';
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.inst.then, 'recover');
  assert.deepEqual(t.effects, [
    { type: 'clear-timer', timer: 'start-secs' },
    { type: 'kill-group', signal: 'SIGINT' },
    { type: 'set-timer', timer: 'stop-timeout', ms: 10_000 },
  ]);
  assert.equal(t.note, why);
  assert.equal(sim.inst.error, why);
  assert.equal(sim.inst.recovery, why);
  assert.equal(sim.spawns, 1, 'nothing spawned before the old process is gone');

  // Probes and samples that land while it stops change nothing.
  assert.deepEqual(sim.health(false, 'HTTP 503').effects, []);
  assert.deepEqual(sim.overMemory(900 * MIB, 512 * MIB).effects, []);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.inst.recovery, why);

  sim.advance(300);
  const respawn = sim.exit(null, 'SIGINT');
  assert.equal(sim.inst.state, 'STARTING');
  assert.deepEqual(respawn.effects, [
    { type: 'clear-timer', timer: 'stop-timeout' },
    { type: 'clear-timer', timer: 'group-poll' },
    { type: 'clear-timer', timer: 'backoff' },
    { type: 'spawn' },
  ]);
  assert.equal(sim.spawns, 2);
  assert.equal(sim.inst.restarts, 1, 'a restart the emperor decided counts');
  assert.equal(sim.inst.failures, 0);
  assert.equal(sim.inst.then, 'stay');
  assert.deepEqual(sim.inst.lastExit, { code: null, signal: 'SIGINT', at: stopAt + 300 });
  assert.equal(sim.inst.healthFailures, 0);
  assert.equal(sim.inst.healthPassed, false);
  assert.equal(sim.inst.startSecsDone, false);
  assert.equal(sim.inst.error, why, 'the reason shows while the new process starts');
  assert.deepEqual(sim.signals.map((s) => s.signal), ['SIGINT'], 'graceful: no SIGKILL');

  // The new process has to earn RUNNING again.
  sim.spawned();
  sim.advance(1000);
  assert.equal(sim.inst.state, 'STARTING');
  sim.health(true, 'HTTP 200');
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.inst.error, null);
  assert.equal(sim.inst.recovery, why, 'kept once RUNNING again');

  // A crash (the emperor's own respawn) keeps it; an operator's restart clears it.
  sim.advance(60_000);
  sim.exit(1);
  assert.equal(sim.inst.restarts, 2);
  assert.equal(sim.inst.recovery, why);
  sim.spawned();
  sim.advance(1000);
  sim.health(true, 'HTTP 200');
  assert.equal(sim.inst.state, 'RUNNING');
  sim.send({ type: 'restart' });
  assert.equal(sim.inst.recovery, null);
  sim.exit(null, 'SIGINT');
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.restarts, 2, 'an operator restart is not counted');
});

test('a health restart that is ignored gets SIGKILL after stop-timeout, then respawns', () => {
  const sim = new Sim({ ...HEALTH, healthRetries: 1 });
  sim.bringUp();
  sim.advance(5000);
  const stopAt = sim.now;
  sim.health(false, 'timed out after 2s');
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.inst.recovery, 'health check failed 1 time in a row (timed out after 2s): restarted');
  sim.advance(10_000);
  assert.deepEqual(sim.signals, [
    { at: stopAt, signal: 'SIGINT' },
    { at: stopAt + 10_000, signal: 'SIGKILL' },
  ]);
  sim.exit(null, 'SIGKILL');
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.restarts, 1);
});

test('recovery is kept by an operator stop and cleared by the next start', () => {
  const sim = new Sim(HEALTH);
  sim.bringUp();
  sim.overMemory(600 * MIB, 512 * MIB);
  sim.exit(null, 'SIGINT');
  const why = sim.inst.recovery;
  assert.ok(why !== null);
  sim.spawned();
  sim.send({ type: 'stop' });
  sim.exit(null, 'SIGINT');
  assert.equal(sim.inst.state, 'STOPPED');
  assert.equal(sim.inst.recovery, why);
  sim.send({ type: 'start' });
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.recovery, null);
  assert.equal(sim.inst.error, null);
});

test('over-memory while RUNNING: the same graceful restart, with the reason', () => {
  const sim = new Sim({ ...POLICY }); // max-rss needs no health check
  sim.bringUp();
  sim.advance(60_000);
  const t = sim.overMemory(600 * MIB, 512 * MIB);
  const why = 'using 600 MB of resident memory, over max-rss 512 MB: restarted';
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.inst.then, 'recover');
  assert.deepEqual(t.effects, [
    { type: 'clear-timer', timer: 'start-secs' },
    { type: 'kill-group', signal: 'SIGINT' },
    { type: 'set-timer', timer: 'stop-timeout', ms: 10_000 },
  ]);
  assert.equal(t.note, why);
  assert.equal(sim.inst.error, why);
  assert.equal(sim.inst.recovery, why);
  sim.advance(50);
  sim.exit(0);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.spawns, 2);
  assert.equal(sim.inst.restarts, 1);
  assert.equal(sim.inst.error, why);
  sim.spawned();
  sim.advance(1000);
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.inst.error, null);
  assert.equal(sim.inst.recovery, why);
});

test('over-memory waits for the whole group before the respawn', () => {
  const sim = new Sim(POLICY);
  sim.bringUp();
  sim.overMemory(2048 * MIB, 1024 * MIB);
  sim.exit(null, 'SIGINT', true);
  sim.groupAlive = true;
  sim.advance(250);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.spawns, 1);
  sim.groupAlive = false;
  sim.advance(25);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.restarts, 1);
});

test('health and over-memory are ignored in STOPPED, BACKOFF, STOPPING, EXITED and FATAL', () => {
  const probes = [
    { type: 'health', ok: true, message: 'HTTP 200' },
    { type: 'health', ok: false, message: 'HTTP 503' },
    { type: 'over-memory', rss: 900 * MIB, limit: 512 * MIB },
  ] as const;
  const check = (sim: Sim, label: string): void => {
    for (const ev of probes) {
      const before = sim.inst;
      const spawns = sim.spawns;
      const signals = sim.signals.length;
      const t = sim.send(ev);
      assert.deepEqual(t.next, before, `${label} + ${ev.type}`);
      assert.deepEqual(t.effects, [], `${label} + ${ev.type}`);
      assert.equal(sim.spawns, spawns);
      assert.equal(sim.signals.length, signals);
    }
  };

  check(new Sim(HEALTH), 'STOPPED');

  const backoff = new Sim({ ...HEALTH, startRetries: 1 });
  backoff.send({ type: 'start' });
  backoff.spawned();
  backoff.advance(100);
  backoff.exit(1);
  assert.equal(backoff.inst.state, 'FATAL');
  check(backoff, 'FATAL');

  const retrying = new Sim(HEALTH);
  retrying.send({ type: 'start' });
  retrying.spawned();
  retrying.advance(100);
  retrying.exit(1);
  assert.equal(retrying.inst.state, 'BACKOFF');
  check(retrying, 'BACKOFF');
  retrying.advance(1000);
  assert.equal(retrying.inst.state, 'STARTING');

  const stopping = new Sim(HEALTH);
  stopping.bringUp();
  stopping.send({ type: 'stop' });
  check(stopping, 'STOPPING');
  stopping.exit(null, 'SIGINT');
  assert.equal(stopping.inst.state, 'STOPPED', 'an operator stop stays a stop');
  assert.equal(stopping.spawns, 1);

  const exited = new Sim({ ...HEALTH, restart: 'never' });
  exited.bringUp();
  exited.advance(5000);
  exited.exit(0);
  assert.equal(exited.inst.state, 'EXITED');
  check(exited, 'EXITED');
});

test('a probe that lands before the pid is known is ignored', () => {
  const sim = new Sim(HEALTH);
  sim.send({ type: 'start' });
  const before = sim.inst;
  sim.health(true, 'HTTP 200');
  sim.health(false, 'HTTP 503');
  assert.deepEqual(sim.inst, before);
});
