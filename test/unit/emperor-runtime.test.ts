// A whole Emperor over fakes behind its ports (as supervisord's tests use a dummy options object):
// reconcile, dependencies, start batches, sampling and max-rss, and shutdown order, with no process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeEmperor, fakeWorld, vassalFile, type FakeWorld } from './fakes/runtime-ports.ts';
import { flush, settle } from './fakes/runtime-time.ts';
import { RECONCILE_DEBOUNCE_MS, START_BATCH, type Emperor } from '../../src/runtime/emperor.ts';
import { REMOVE_GRACE_MS } from '../../src/core/reconcile.ts';

// Starts the emperor and runs its start batches; the vassals' processes are spawned.
function started(world: FakeWorld): Emperor {
  const emperor = fakeEmperor(world);
  emperor.start();
  world.time.runTurns();
  return emperor;
}

// Brings every spawned instance past start-secs (the default 1 s).
function upFor(world: FakeWorld, ms = 1000): void {
  world.time.advance(ms);
  world.time.runTurns();
}

const stateOf = (e: Emperor, name: string): string | undefined => e.vassals.get(name)?.state;

test('the first reconcile adds every file, starts it in a batch, and tells the guardian its group', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  world.dir.write('worker.ini', vassalFile('worker'));
  const emperor = started(world);
  assert.deepEqual([...emperor.vassals.keys()].sort(), ['web', 'worker']);
  assert.equal(world.procs.children.length, 2);
  assert.deepEqual(world.procs.of('web')[0]?.request.argv, ['/bin/app', 'web']);
  assert.equal(world.procs.of('web')[0]?.request.env.EMPEROR_VASSAL, 'web');
  assert.deepEqual([...world.guardian.groups].sort(), world.procs.children.map((c) => c.pid).sort());
  assert.equal(world.guardian.started, 1);
  assert.equal(stateOf(emperor, 'web'), 'STARTING');
  upFor(world);
  assert.equal(stateOf(emperor, 'web'), 'RUNNING');
  assert.ok(world.lines.some((l) => l.includes('web: found /fake/vassals/web.ini')));
});

test('starts go in batches of START_BATCH per event-loop turn', async () => {
  const world = fakeWorld();
  for (let i = 0; i < START_BATCH + 4; i++) world.dir.write(`v${String(i).padStart(2, '0')}.ini`, vassalFile(`v${i}`));
  const emperor = fakeEmperor(world);
  emperor.start();
  assert.equal(world.procs.children.length, 0, 'nothing is spawned inside the reconcile itself');
  world.time.runTurn();
  assert.equal(world.procs.children.length, START_BATCH, 'one batch per turn');
  world.time.runTurn();
  assert.equal(world.procs.children.length, START_BATCH + 4);
  let drained = false;
  void emperor.startsQueued().then(() => void (drained = true));
  world.time.runTurns();
  await flush();
  assert.ok(drained, 'startsQueued resolves once the queue is empty');
});

test('startsQueued waits for a spawn still on the thread pool (READY goes out with every autostart pid known)', async () => {
  const world = fakeWorld();
  // A spawner whose spawns finish later, as the native helper's do on the thread pool.
  const later: Array<() => void> = [];
  const procs = world.procs;
  world.ports = {
    ...world.ports,
    spawner: {
      outputPair: () => procs.outputPair(),
      spawn: (req) => procs.spawn(req),
      spawnLater: (req) => new Promise((resolve) => later.push(() => resolve(procs.spawn(req)))),
    },
  };
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = fakeEmperor(world);
  emperor.start();
  let drained = false;
  void emperor.startsQueued().then(() => void (drained = true));
  world.time.runTurns();
  await flush();
  assert.equal(later.length, 1, 'the start was taken: its spawn is on the pool');
  assert.equal(drained, false, 'not before the spawn has its answer');
  for (const finish of later.splice(0)) finish();
  await flush();
  world.time.runTurns();
  await flush();
  assert.equal(drained, true);
  assert.equal(procs.of('web').length, 1);
});

test('a watcher event schedules one debounced reconcile that picks up a new file', () => {
  const world = fakeWorld();
  const emperor = started(world);
  assert.equal(world.dir.watchers.length, 1);
  world.dir.write('late.ini', vassalFile('late'));
  assert.equal(emperor.vassals.size, 0, 'not before the debounce timer');
  world.time.advance(RECONCILE_DEBOUNCE_MS);
  world.time.runTurns();
  assert.equal(emperor.vassals.size, 1);
  assert.equal(world.procs.of('late').length, 1);
});

test('a changed command restarts the vassal: the old process is stopped, then the new one spawned', async () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  upFor(world);
  const first = world.procs.of('web')[0];
  world.dir.write('web.ini', vassalFile('web', { 'stop-signal': 'SIGINT' }).replace('/bin/app web', '/bin/app web --v2'));
  emperor.reconcile();
  await settle(Promise.resolve(), world.time);
  for (let i = 0; i < 20 && world.procs.of('--v2').length === 0; i++) upFor(world, 50);
  assert.ok(first?.exited, 'the old process was stopped');
  assert.equal(world.procs.of('--v2').length, 1, 'the new version runs');
  assert.ok(world.lines.some((l) => l.includes('file changed (restart)')));
});

test('a file turning invalid keeps the old version running and says so', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  upFor(world);
  world.dir.write('web.ini', '[vassal]\ncommand = /bin/app web\nrestart = sometimes\n');
  emperor.reconcile();
  const v = emperor.vassals.get('web');
  assert.equal(v?.state, 'INVALID');
  assert.equal(world.procs.live.length, 1, 'the process runs on');
  assert.equal(world.procs.sent.length, 0, 'no signal');
  assert.ok(world.lines.some((l) => l.includes('the previous version keeps running until the file is fixed')));
  assert.equal(v?.instances[0]?.state.state, 'RUNNING');
});

test('a deleted file stops its vassal after the remove grace, then forgets it', async () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  upFor(world);
  world.dir.remove('web.ini');
  emperor.reconcile();
  assert.ok(emperor.vassals.has('web'), 'kept within the grace (editors save by unlink then write)');
  world.time.advance(REMOVE_GRACE_MS);
  await settle(new Promise<void>((resolve) => {
    const poll = (): void => (emperor.vassals.has('web') ? void setImmediate(poll) : resolve());
    poll();
  }), world.time);
  assert.ok(world.procs.children[0]?.exited);
  assert.deepEqual(world.procs.sent.map((s) => s.signal), ['SIGTERM']);
  assert.ok(world.lines.some((l) => l.includes('web: removed')));
});

test('an unlink followed by a write within the grace is no removal', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  upFor(world);
  world.dir.remove('web.ini');
  emperor.reconcile();
  world.time.advance(REMOVE_GRACE_MS / 2);
  world.dir.write('web.ini', vassalFile('web'));
  emperor.reconcile();
  world.time.advance(REMOVE_GRACE_MS * 2);
  emperor.reconcile();
  assert.ok(emperor.vassals.has('web'));
  assert.ok(!world.lines.some((l) => l.includes('file removed')), 'never removed');
});

test('a renamed file is a new vassal; the old name stops after the grace', async () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  upFor(world);
  world.dir.rename('web.ini', 'site.ini');
  emperor.reconcile();
  world.time.runTurns();
  assert.ok(emperor.vassals.has('site'));
  assert.equal(world.procs.children.length, 2, 'site started at once');
  world.time.advance(REMOVE_GRACE_MS);
  await settle(new Promise<void>((resolve) => {
    const poll = (): void => (emperor.vassals.has('web') ? void setImmediate(poll) : resolve());
    poll();
  }), world.time);
  assert.deepEqual([...emperor.vassals.keys()], ['site']);
});

test('depends: a vassal waits STOPPED until its dependency is RUNNING, then starts', () => {
  const world = fakeWorld();
  world.dir.write('db.ini', vassalFile('db'));
  world.dir.write('app.ini', vassalFile('app', { depends: 'db' }));
  const emperor = started(world);
  assert.equal(world.procs.of('app').length, 0, 'app waits');
  assert.match(emperor.vassals.get('app')?.error ?? '', /waiting for db to be RUNNING/);
  upFor(world);
  assert.equal(stateOf(emperor, 'db'), 'RUNNING');
  assert.equal(world.procs.of('app').length, 1, 'app started once db was RUNNING');
});

test('an unreadable directory keeps the running vassals and reports once, then recovers', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  world.dir.unreadable = 'EACCES';
  emperor.reconcile();
  emperor.reconcile();
  assert.equal(world.lines.filter((l) => l.includes('cannot use vassal directory /fake/vassals: EACCES')).length, 1);
  assert.ok(emperor.vassals.has('web'));
  world.dir.unreadable = null;
  emperor.reconcile();
  assert.ok(world.lines.some((l) => l.includes('vassal directory /fake/vassals is readable again')));
});

test('sampling gives each instance its usage and counts CPU seconds; over max-rss restarts it', () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web', { 'max-rss': '1M' }));
  const emperor = fakeEmperor(world, { sampleIntervalMs: 5000 });
  emperor.start();
  world.time.runTurns();
  upFor(world);
  const pid = world.procs.children[0]?.pid ?? -1;
  world.sampler.usage.set(pid, { rssBytes: 512 * 1024, cpuPercent: 12.5, cpuSecondsDelta: 0.25 });
  world.time.advance(4000);
  const v = emperor.vassals.get('web');
  assert.deepEqual(v?.instances[0]?.usage, { rssBytes: 512 * 1024, cpuPercent: 12.5 });
  assert.equal(v?.cpuSeconds, 0.25);
  world.sampler.usage.set(pid, { rssBytes: 4 * 1024 * 1024, cpuPercent: 1, cpuSecondsDelta: 0.5 });
  world.time.advance(5000);
  assert.deepEqual(world.procs.sent.map((s) => s.signal), ['SIGTERM'], 'over max-rss: stopped to be restarted');
  world.time.advance(10);
  world.time.runTurns();
  assert.equal(world.procs.children.length, 2, 'and spawned again');
  assert.equal(v?.instances[0]?.state.restarts, 1);
});

test('shutdown stops dependents before their dependencies, then closes guardian, sampler and watch', async () => {
  const world = fakeWorld();
  world.dir.write('db.ini', vassalFile('db'));
  world.dir.write('app.ini', vassalFile('app', { depends: 'db' }));
  world.dir.write('cache.ini', vassalFile('cache'));
  const emperor = started(world);
  upFor(world);
  upFor(world);
  assert.equal(world.procs.live.length, 3);
  world.procs.behaviour = { obey: true, exitAfterMs: 100 };
  await settle(emperor.shutdown(), world.time);
  const order = world.procs.sent.map((s) => world.procs.children.find((c) => c.pid === s.target)?.request.argv[1]);
  assert.ok(order.indexOf('app') < order.indexOf('db'), `app stops before db: ${order.join(', ')}`);
  assert.equal(world.procs.live.length, 0);
  assert.ok(world.guardian.closed && world.sampler.closed);
  assert.equal(world.dir.closedWatches, 1);
  assert.equal(world.time.timersPending.filter((t) => !t.unrefed).length, 0, 'no timer left behind');
});

test('a vassal that ignores its stop signal gets SIGKILL at stop-timeout during shutdown', async () => {
  const world = fakeWorld();
  world.dir.write('stubborn.ini', vassalFile('stubborn', { 'stop-timeout': 3 }));
  const emperor = started(world);
  upFor(world);
  world.procs.behaviour = { obey: false, exitAfterMs: 0 };
  await settle(emperor.shutdown(), world.time);
  assert.deepEqual(world.procs.sent.map((s) => [s.signal, s.at - (world.procs.sent[0]?.at ?? 0)]), [['SIGTERM', 0], ['SIGKILL', 3000]]);
});

test('nothing starts again once shutdown began (a control request included)', async () => {
  const world = fakeWorld();
  world.dir.write('web.ini', vassalFile('web'));
  const emperor = started(world);
  upFor(world);
  const done = emperor.shutdown();
  emperor.vassals.get('web')?.start();
  emperor.reconcile();
  await settle(done, world.time);
  assert.equal(world.procs.children.length, 1);
});
