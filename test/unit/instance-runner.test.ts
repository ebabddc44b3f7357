// InstanceRunner on its own, with no process: spawns, exits, backoff with a fixed random, health
// restarts through its monitor, the stop timeout's SIGKILL, and the group the guardian is told of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InstanceRunner, type InstanceHost } from '../../src/runtime/instance-runner.ts';
import type { Instance } from '../../src/core/lifecycle.ts';
import type { ProbeResult } from '../../src/io/health-probe.ts';
import type { Supervised, PendingSpawn } from '../../src/runtime/supervised.ts';
import { FakeTime, flush } from './fakes/runtime-time.ts';
import { FakeSupervised, ManualSpawn } from './fakes/runtime-spawn.ts';
import { POLICY } from './lifecycle-sim.ts';
import { failed, type Failed } from '../../src/core/errors.ts';

// A runner whose spawns return fake processes at once (or what `next` says), with a host that records.
function rig(policy = POLICY, random = 0.5) {
  const time = new FakeTime();
  const procs: FakeSupervised[] = [];
  const tracked = new Set<number>();
  /** what the guardian is told, in order. */
  const told: string[] = [];
  const changes: Array<{ from: string; to: string; note: string | null }> = [];
  let pid = 500;
  const answers: ProbeResult[] = [];
  const probes: string[] = [];
  let target: string | null = null;
  let next: (() => Supervised | PendingSpawn | Failed) | null = null;
  let groupAlive = false;
  const host: InstanceHost = {
    clock: time.clock,
    timers: time.timers,
    random: () => random,
    policy: () => policy,
    spawn: () => {
      if (next !== null) return next();
      const p = new FakeSupervised(pid++, time, () => groupAlive);
      procs.push(p);
      return p;
    },
    trackGroup: (g) => void (tracked.add(g), told.push(`+${g}`)),
    untrackGroup: (g) => void (tracked.delete(g), told.push(`-${g}`)),
    changed: (_i, before: Instance, after: Instance, note) => void changes.push({ from: before.state, to: after.state, note }),
    healthTarget: () => target,
    healthTiming: () => ({ intervalMs: 1000, timeoutMs: 500 }),
    probe: (t) => {
      probes.push(t);
      return Promise.resolve(answers.shift() ?? { ok: true, message: `${t} answered HTTP 200` });
    },
  };
  const runner = new InstanceRunner(0, host);
  return {
    time, procs, tracked, told, changes, runner, answers, probes,
    setTarget: (t: string | null) => void (target = t),
    setNext: (f: typeof next) => void (next = f),
    setGroupAlive: (a: boolean) => void (groupAlive = a),
  };
}

test('start spawns at once, tells the guardian its group, and is RUNNING after start-secs', () => {
  const r = rig();
  r.runner.dispatch({ type: 'start' });
  assert.equal(r.procs.length, 1);
  assert.equal(r.runner.state.pid, 500);
  assert.equal(r.runner.pgid, 500);
  assert.ok(r.tracked.has(500));
  r.time.advance(999);
  assert.equal(r.runner.state.state, 'STARTING');
  r.time.advance(1);
  assert.equal(r.runner.state.state, 'RUNNING');
  assert.deepEqual(r.changes.map((c) => c.to), ['STARTING', 'STARTING', 'RUNNING']);
});

test('an exit puts it in BACKOFF for the jittered delay the fixed random gives, then it spawns again', () => {
  const r = rig(POLICY, 0);
  r.runner.dispatch({ type: 'start' });
  r.time.advance(100);
  r.procs[0]?.exit(1);
  assert.equal(r.runner.state.state, 'BACKOFF');
  assert.ok(!r.tracked.has(500), 'a group with nothing left is forgotten');
  // random 0: the delay is 10% under the base of 1000 ms.
  r.time.advance(899);
  assert.equal(r.procs.length, 1);
  r.time.advance(1);
  assert.equal(r.procs.length, 2);
  assert.equal(r.runner.state.restarts, 1);
});

test('a spawn error is a failed start with that error', () => {
  const r = rig({ ...POLICY, startRetries: 1 });
  r.setNext(() => failed('E_SPAWN_NOT_FOUND', 'spawn /bin/app ENOENT'));
  r.runner.dispatch({ type: 'start' });
  assert.equal(r.runner.state.state, 'FATAL');
  assert.equal(r.runner.state.error, 'spawn /bin/app ENOENT');
});

test('a stop sends the stop signal to the group, and SIGKILL when stop-timeout passes', () => {
  const r = rig();
  r.runner.dispatch({ type: 'start' });
  r.time.advance(1000);
  r.runner.dispatch({ type: 'stop' });
  const p = r.procs[0];
  assert.deepEqual(p?.signals.map((s) => s.signal), ['SIGINT']);
  r.time.advance(POLICY.stopTimeout);
  assert.deepEqual(p?.signals.map((s) => [s.signal, s.at]), [['SIGINT', 1000], ['SIGKILL', 1000 + POLICY.stopTimeout]]);
  p?.exit(null, 'SIGKILL');
  assert.equal(r.runner.state.state, 'STOPPED');
  assert.equal(r.runner.pendingTimers.size, 0);
});

test('a leader that leaves its group behind is polled until the group is gone, then untracked', () => {
  const r = rig();
  r.runner.dispatch({ type: 'start' });
  r.time.advance(1000);
  r.runner.dispatch({ type: 'stop' });
  r.setGroupAlive(true);
  r.procs[0]?.exit(0);
  assert.equal(r.runner.state.state, 'STOPPING');
  assert.ok(r.tracked.has(500));
  r.time.advance(500);
  assert.equal(r.runner.state.state, 'STOPPING');
  r.setGroupAlive(false);
  r.time.advance(100);
  assert.equal(r.runner.state.state, 'STOPPED');
  assert.ok(!r.tracked.has(500));
});

test('health: failing probes past health-retries restart a RUNNING instance', async () => {
  const r = rig({ ...POLICY, healthCheck: true, healthRetries: 2 });
  r.setTarget('http://127.0.0.1:8000/health');
  r.runner.dispatch({ type: 'start' });
  r.time.advance(100);
  await flush();
  assert.equal(r.probes.length, 1, 'the first probe soon after the spawn');
  r.time.advance(1000);
  await flush();
  assert.equal(r.runner.state.state, 'RUNNING');
  r.answers.push({ ok: false, message: 'HTTP 503' }, { ok: false, message: 'HTTP 503' });
  for (let i = 0; i < 3 && r.procs[0]?.signals.length === 0; i++) {
    r.time.advance(1000);
    await flush();
  }
  assert.deepEqual(r.procs[0]?.signals.map((s) => s.signal), ['SIGINT'], 'stopped to be restarted');
  r.procs[0]?.exit(null, 'SIGINT');
  assert.equal(r.procs.length, 2, 'and spawned again');
});

test('a pending spawn is cancelled by a stop, and its late process is stopped when it comes', () => {
  const r = rig();
  const spawn = new ManualSpawn();
  r.setNext(() => spawn);
  r.runner.dispatch({ type: 'start' });
  r.runner.dispatch({ type: 'stop' });
  assert.equal(spawn.cancels, 1);
  const late = new FakeSupervised(777, r.time);
  spawn.pending.settle(late);
  assert.deepEqual(late.signals.map((s) => s.signal), ['SIGINT']);
});

test('killNow kills a child still being spawned once it exists, and settles then', async () => {
  const r = rig();
  let land: (p: Supervised) => void = () => {};
  let cancels = 0;
  const spawn: PendingSpawn = { pending: new Promise((res) => (land = res)), cancel: () => void cancels++ };
  r.setNext(() => spawn);
  r.runner.dispatch({ type: 'start' });
  let settled = false;
  const killed = r.runner.killNow().then(() => void (settled = true));
  assert.equal(cancels, 1);
  await flush();
  assert.equal(settled, false, 'not before the spawn lands');
  const late = new FakeSupervised(778, r.time);
  land(late);
  await killed;
  assert.deepEqual(late.signals.map((s) => s.signal), ['SIGKILL']);
});

test('signalProcess reaches the main process only while it runs; killNow sends SIGKILL to the group', () => {
  const r = rig();
  assert.equal(r.runner.signalProcess('SIGHUP'), false, 'no process yet');
  r.runner.dispatch({ type: 'start' });
  assert.equal(r.runner.signalProcess('SIGHUP'), true);
  r.runner.killNow();
  assert.deepEqual(r.procs[0]?.signals.map((s) => [s.signal, s.main]), [['SIGHUP', true], ['SIGKILL', false]]);
});

test('dispose drops every timer; the runner sets none again by itself', () => {
  const r = rig();
  r.runner.dispatch({ type: 'start' });
  assert.equal(r.time.timersPending.length, 1, 'start-secs');
  r.runner.dispose();
  assert.equal(r.time.timersPending.length, 0);
  r.time.advance(60_000);
  assert.equal(r.runner.state.state, 'STARTING');
});

test('inherit adds the replaced instance\'s restarts and shows its last exit until its own', () => {
  const a = rig(POLICY, 0.5);
  a.runner.dispatch({ type: 'start' });
  a.procs[0]?.exit(1);
  a.time.advance(2000);
  const b = rig();
  b.runner.inherit(a.runner);
  assert.equal(b.runner.state.restarts, a.runner.state.restarts);
  assert.deepEqual(b.runner.state.lastExit, a.runner.state.lastExit);
});

test('a crash respawns before the guardian hears the old group is gone; a contained process is never recorded', () => {
  const r = rig();
  r.runner.dispatch({ type: 'start' });
  r.time.advance(1500);
  r.procs[0]?.exit(null, 'SIGKILL');
  assert.equal(r.runner.state.pid, 501, 'respawned at once');
  assert.deepEqual(r.told, ['+500', '+501', '-500'], 'the new group first: the respawn does not wait on the guardian');
  // In its own cgroup (the cgroup guardian kills it should the emperor die): no process group to record.
  const contained = Object.assign(new FakeSupervised(600, r.time, () => false), { contained: true });
  r.setNext(() => contained);
  r.time.advance(1500);
  r.procs[1]?.exit(null, 'SIGKILL');
  assert.equal(r.runner.state.pid, 600);
  contained.exit(null, 'SIGKILL');
  assert.deepEqual(r.told, ['+500', '+501', '-500', '-501'], 'nothing of 600');
});
