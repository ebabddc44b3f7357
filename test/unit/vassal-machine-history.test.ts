// The vassal machine over several events, with fake instances moved by hand: the cases the git history fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MachineFleet } from './fakes/vassal-fleet.ts';
import { makeSpec } from './make-spec.ts';
import type { VassalSpec } from '../../src/config/spec.ts';

const TCP = (host: string) => ({ kind: 'tcp', host, port: 8000 }) as const;

// A fleet of `n` RUNNING instances of `spec`.
function up(spec: VassalSpec): MachineFleet {
  const m = new MachineFleet(spec);
  m.send({ type: 'resize' });
  m.send({ type: 'start' });
  for (const f of m.runners) f.set('RUNNING');
  return m;
}

test('emperorctl stop holds the vassal: instance changes and a late dependency answer start nothing; a start or a file change does', () => {
  const m = up(makeSpec({ instances: 2 }));
  m.send({ type: 'stop', retire: false });
  for (const f of m.runners) f.set('STOPPED');
  m.send({ type: 'dependencies', missing: [] });
  assert.equal(m.st.intent, 'stopped');
  assert.ok(m.runners.every((f) => f.state.state === 'STOPPED'), 'held');
  m.send({ type: 'change', kind: 'touch', first: false, formerSocket: null });
  assert.ok(m.runners.every((f) => f.state.state === 'STARTING'), 'a file change starts it (autostart)');
  m.send({ type: 'stop', retire: false });
  for (const f of m.runners) f.set('STOPPED');
  m.send({ type: 'start' });
  assert.ok(m.runners.every((f) => f.state.state === 'STARTING'), 'a start starts it');
});

test('a held stop without autostart: a file change leaves it stopped', () => {
  const m = up(makeSpec({ instances: 1, autostart: false }));
  m.send({ type: 'stop', retire: false });
  m.runners[0]!.set('STOPPED');
  m.send({ type: 'change', kind: 'supervision', first: false, formerSocket: null });
  assert.equal(m.runners[0]!.state.state, 'STOPPED');
});

test('waiting for dependencies: nothing starts until they are RUNNING; the waiting shows', () => {
  const m = new MachineFleet(makeSpec({ instances: 2, depends: ['db'] }));
  m.send({ type: 'resize' });
  m.missing = ['db'];
  m.send({ type: 'start' });
  assert.deepEqual(m.st.waitingFor, ['db']);
  assert.ok(m.runners.every((f) => f.state.state === 'STOPPED'));
  m.missing = [];
  m.send({ type: 'start' });
  assert.deepEqual(m.st.waitingFor, []);
  assert.ok(m.runners.every((f) => f.state.state === 'STARTING'));
});

test('a same-port address change stops every instance, then starts them once the last process is gone', () => {
  const spec = makeSpec({ instances: 2, socket: TCP('127.0.0.1') });
  const m = up(spec);
  m.spec = { ...spec, socket: TCP('0.0.0.0') };
  m.send({ type: 'change', kind: 'restart', first: false, formerSocket: TCP('127.0.0.1') });
  assert.ok(m.lines()[0]?.includes('on the same port'), m.lines().join('\n'));
  assert.equal(m.starting, null, 'no replacement beside the old ones');
  assert.ok(m.runners.every((f) => f.state.state === 'STOPPING'));
  m.runners[0]!.set('STOPPED');
  assert.equal(m.runners[1]!.state.state, 'STOPPING', 'nothing starts while one old process holds the port');
  assert.equal(m.runners[0]!.state.state, 'STOPPED');
  m.runners[1]!.set('STOPPED');
  assert.ok(m.runners.every((f) => f.state.state === 'STARTING'), 'every instance starts on the new address');
});

test('a same-port change: a stop before the last process is gone calls the deferred start off; a change meanwhile keeps it', () => {
  const spec = makeSpec({ instances: 1, socket: TCP('127.0.0.1') });
  const m = up(spec);
  m.spec = { ...spec, socket: TCP('0.0.0.0') };
  m.send({ type: 'change', kind: 'restart', first: false, formerSocket: TCP('127.0.0.1') });
  m.send({ type: 'stop', retire: false });
  m.runners[0]!.set('STOPPED');
  assert.equal(m.runners[0]!.state.state, 'STOPPED', 'called off');

  const n = up(spec);
  n.spec = { ...spec, socket: TCP('0.0.0.0') };
  n.send({ type: 'change', kind: 'restart', first: false, formerSocket: TCP('127.0.0.1') });
  n.send({ type: 'change', kind: 'supervision', first: false, formerSocket: TCP('0.0.0.0') });
  n.runners[0]!.set('STOPPED');
  assert.equal(n.runners[0]!.state.state, 'STARTING', 'still wanted');
});

test('a replacement that crashes ends the roll: it is stopped, the old instances keep serving, the error shows', () => {
  const m = up(makeSpec({ instances: 2, socket: TCP('127.0.0.1') }));
  const old = m.runners;
  m.send({ type: 'restart' });
  const rep = m.starting;
  assert.ok(rep !== null);
  rep.set('BACKOFF', { error: 'exited with code 1 0.1s after start' });
  assert.equal(m.starting, null);
  assert.deepEqual(m.runners, old, 'the old instances stay');
  assert.ok(old.every((f) => f.state.state === 'RUNNING'));
  assert.match(m.st.rollError ?? '', /replacement of instance 0 failed \(exited with code 1 0\.1s after start\); it was stopped; 2 instances still run the previous version/);
  assert.ok(rep.events.includes('stop') && rep.state.state === 'STOPPED', 'the replacement is stopped (its backoff ends)');
  assert.ok(!m.st.retiring.includes(rep.id) && !m.byId.has(rep.id), 'and forgotten: it has no process left');
});

test('a replacement that is not RUNNING by its deadline (a failing health check) ends the roll', () => {
  const m = up(makeSpec({ instances: 1, socket: TCP('127.0.0.1'), healthCheck: 'http://127.0.0.1:8000/', startSecs: 500 }));
  m.send({ type: 'restart' });
  const deadline = m.effects.find((e) => e.type === 'set-timer');
  assert.deepEqual(deadline, { type: 'set-timer', timer: 'roll-deadline', id: 1, ms: 500 + 3 * (10_000 + 2000) + 1000 });
  m.starting!.set('STARTING', { error: 'health check not passing yet: HTTP 503' });
  m.send({ type: 'roll-deadline', id: 1 });
  assert.match(m.st.rollError ?? '', /not RUNNING 37\.5s after its start .*: health check not passing yet: HTTP 503\); it was stopped/);
  assert.equal(m.runners[0]!.state.state, 'RUNNING');
});

test('an edit during a roll restarts the roll with the new version; the replacement of the old version goes', () => {
  const m = up(makeSpec({ instances: 2, socket: TCP('127.0.0.1') }));
  m.send({ type: 'restart' });
  const first = m.starting!;
  m.send({ type: 'change', kind: 'restart', first: false, formerSocket: TCP('127.0.0.1') });
  assert.ok(first.events.includes('stop'), 'the replacement of the version before is stopped');
  assert.notEqual(m.starting, first);
  assert.equal(m.starting!.index, 0, 'the roll begins again at instance 0');
});

test('a stop during a roll: every process stops, the replacement too, and nothing starts after', () => {
  const m = up(makeSpec({ instances: 2, socket: TCP('127.0.0.1') }));
  m.send({ type: 'restart' });
  const rep = m.starting!;
  m.send({ type: 'stop', retire: false });
  assert.equal(m.st.roll, null);
  for (const f of [...m.runners, rep]) assert.equal(f.state.state, 'STOPPING');
  rep.set('RUNNING');
  assert.equal(m.starting, null, 'a replacement that turns RUNNING late takes nothing over');
  for (const f of m.all) if (f.state.state !== 'STOPPED') f.set('STOPPED');
  assert.equal(m.live(), 0);
  assert.deepEqual(m.untracked(), []);
});

test('a roll in place (no socket): one instance at a time, each RUNNING before the next; one that fails ends it', () => {
  const m = up(makeSpec({ instances: 3 }));
  m.send({ type: 'restart' });
  const [a, b, c] = m.runners;
  assert.deepEqual([a!.state.state, b!.state.state, c!.state.state], ['STOPPING', 'RUNNING', 'RUNNING']);
  a!.set('STARTING');
  a!.set('RUNNING');
  assert.equal(b!.state.state, 'STOPPING', 'the next one restarts once the first is RUNNING');
  b!.set('BACKOFF', { error: 'exited with code 1 0.3s after start' });
  assert.equal(c!.state.state, 'RUNNING', 'the last one is left alone');
  assert.match(m.st.rollError ?? '', /instance 1 did not start \(exited with code 1 0\.3s after start\); 1 instance still runs the previous version/);
});

test('fewer instances: the last ones stop and are forgotten once gone; more: new ones start', () => {
  const spec = makeSpec({ instances: 3 });
  const m = up(spec);
  const last = m.runners[2]!;
  m.spec = { ...spec, instances: 2 };
  m.send({ type: 'change', kind: 'supervision', first: false, formerSocket: null });
  assert.equal(m.runners.length, 2);
  assert.equal(last.state.state, 'STOPPING');
  last.set('STOPPED');
  assert.deepEqual(m.st.retiring, []);
  m.spec = { ...spec, instances: 4 };
  m.send({ type: 'change', kind: 'supervision', first: false, formerSocket: null });
  assert.deepEqual(m.runners.map((f) => f.state.state), ['RUNNING', 'RUNNING', 'STARTING', 'STARTING']);
});

test('removal: nothing starts it again, and whoever waits hears once every process is gone', () => {
  const m = up(makeSpec({ instances: 2 }));
  m.send({ type: 'stop', retire: true });
  m.send({ type: 'await-quiet' });
  m.send({ type: 'start' });
  m.send({ type: 'restart' });
  m.send({ type: 'change', kind: 'restart', first: false, formerSocket: null });
  assert.ok(m.runners.every((f) => f.state.state === 'STOPPING'));
  m.runners[0]!.set('STOPPED');
  assert.ok(!m.effects.some((e) => e.type === 'quiet'));
  m.runners[1]!.set('STOPPED');
  assert.equal(m.effects.filter((e) => e.type === 'quiet').length, 1);
});
