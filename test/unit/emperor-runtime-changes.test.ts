// A whole Emperor over fakes, continued: resizing, reload signals, rolling restarts, smart-attached
// daemons across a shutdown, the second SIGINT, and operator stop/start, with no process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeEmperor, fakeWorld, vassalFile, type FakeWorld } from './fakes/runtime-ports.ts';
import { settle, WALL_EPOCH_MS } from './fakes/runtime-time.ts';
import type { Emperor } from '../../src/runtime/emperor.ts';

function started(world: FakeWorld): Emperor {
  const emperor = fakeEmperor(world);
  emperor.start();
  world.time.runTurns();
  return emperor;
}

// Moves fake time in small steps (turns run between), so chains of exits and spawns play out.
function play(world: FakeWorld, ms: number, step = 50): void {
  for (let t = 0; t < ms; t += step) {
    world.time.advance(step);
    world.time.runTurns();
  }
}

test('more instances in the file start the added ones; the running one is left alone', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web', { instances: 1 }));
  const emperor = started(world);
  play(world, 1000);
  world.dir.write('web.ini', vassalFile('web', { instances: 3 }));
  emperor.reconcile();
  play(world, 1000);
  assert.equal(world.procs.live.length, 3);
  assert.equal(world.procs.sent.length, 0);
  assert.deepEqual(world.procs.children.map((c) => c.request.env.EMPEROR_INSTANCE), ['0', '1', '2']);
  assert.equal(emperor.vassals.get('web')?.state, 'RUNNING');
});

test('a touched file with reload-signal signals the main process only, and restarts nothing', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web', { 'reload-signal': 'SIGHUP' }));
  const emperor = started(world);
  play(world, 1000);
  world.dir.write('web.ini', vassalFile('web', { 'reload-signal': 'SIGHUP' }));
  emperor.reconcile();
  assert.deepEqual(world.procs.sent.map((s) => [s.signal, s.group]), [['SIGHUP', false]]);
  assert.equal(world.procs.children.length, 1);
});

test('a touched file without reload-signal restarts the instances one at a time', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web', { instances: 2 }));
  const emperor = started(world);
  play(world, 1000);
  const [a, b] = world.procs.children;
  world.dir.write('web.ini', vassalFile('web', { instances: 2 }));
  emperor.reconcile();
  play(world, 100);
  assert.ok(a?.exited && !b?.exited, 'the first instance is replaced first');
  assert.equal(world.procs.children.length, 3);
  play(world, 1500);
  assert.ok(b?.exited, 'the second once the first replacement is RUNNING');
  play(world, 1500);
  assert.equal(world.procs.live.length, 2);
  assert.equal(emperor.vassals.get('web')?.state, 'RUNNING');
});

test('a smart-attached daemon is adopted from its pidfile and left running, recorded, across shutdown', async () => {
  const world = fakeWorld();
  const pidfile = '/run/cache/cache.pid';
  world.facts.processes.set(4242, { pid: 4242, startTicks: 77, startMs: WALL_EPOCH_MS - 3_600_000, uid: process.getuid?.() ?? 0, name: 'cached' });
  world.facts.pidfiles.set(pidfile, { pid: 4242, mtimeMs: WALL_EPOCH_MS - 3_600_000 });
  world.records.map.set('cache', { pid: 4242, startTicks: 77, bootMs: world.facts.bootMs, pidfile });
  world.dir.write('cache.ini', `[vassal]\nsmart-attach-daemon = ${pidfile} cached --daemonize\n`);
  const emperor = started(world);
  play(world, 100);
  const v = emperor.vassals.get('cache');
  assert.equal(v?.state, 'RUNNING');
  assert.equal(v?.instances[0]?.state.pid, 4242);
  assert.equal(world.procs.children.length, 0, 'nothing launched');
  assert.ok(world.lines.some((l) => l.includes('adopted the running daemon pid 4242 (cached)')));
  await settle(emperor.shutdown(), world.time);
  assert.deepEqual(world.procs.sent, [], 'the daemon is the next emperor\'s');
  assert.equal(world.records.get('cache')?.pid, 4242, 'and its record stays for it');
});

test('the second SIGINT kills every group at once', () => {
  const world = fakeWorld();
  world.dir.write('a.ini', vassalFile('a'));
  world.dir.write('b.ini', vassalFile('b'));
  const emperor = started(world);
  emperor.killAll();
  assert.deepEqual(world.procs.sent.map((s) => [s.signal, s.group]), [['SIGKILL', true], ['SIGKILL', true]]);
  assert.ok(emperor.shuttingDown);
});

test('an operator stop holds the vassal STOPPED through reconciles; a start spawns it again', async () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  play(world, 1000);
  const v = emperor.vassals.get('web');
  await settle(v?.stop() ?? Promise.resolve(), world.time);
  assert.equal(v?.state, 'STOPPED');
  emperor.reconcile();
  play(world, 2000);
  assert.equal(world.procs.children.length, 1, 'a reconcile does not undo the stop');
  v?.start();
  play(world, 1000);
  assert.equal(v?.state, 'RUNNING');
  assert.equal(world.procs.children.length, 2);
});

test('a crashing vassal backs off by the jittered delay and goes FATAL after start-retries', () => {
  const world = fakeWorld(0.5);
  world.dir.write('crash.ini', vassalFile('crash', { 'start-retries': 2, backoff: 1 }));
  const emperor = started(world);
  world.procs.children[0]?.exit(1);
  assert.equal(emperor.vassals.get('crash')?.state, 'BACKOFF');
  play(world, 1000);
  assert.equal(world.procs.children.length, 2, 'spawned again after the backoff');
  world.procs.children[1]?.exit(1);
  assert.equal(emperor.vassals.get('crash')?.state, 'FATAL');
  play(world, 60_000, 1000);
  assert.equal(world.procs.children.length, 2, 'FATAL never spawns on its own');
});
