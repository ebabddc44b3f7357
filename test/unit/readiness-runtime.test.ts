// Readiness through the whole runtime over fakes: a fake readiness port delivers what the notify socket
// and the uWSGI Emperor pipe would; the Emperor, its vassals and their runners are the real ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeEmperor, fakeWorld, vassalFile, type FakeWorld } from './fakes/runtime-ports.ts';
import { FakeReadiness } from './fakes/runtime-readiness.ts';
import { flush } from './fakes/runtime-time.ts';
import type { Emperor } from '../../src/runtime/emperor.ts';

// A world whose emperor has a readiness port, started: its first batch spawned.
function readyWorld(files: Record<string, string>, pipesAvailable = true): { world: FakeWorld; hub: FakeReadiness; emperor: Emperor } {
  const world = fakeWorld();
  const hub = new FakeReadiness();
  hub.pipesAvailable = pipesAvailable;
  world.ports.readiness = hub;
  for (const [name, text] of Object.entries(files)) world.dir.write(name, text);
  const emperor = fakeEmperor(world);
  emperor.start();
  world.time.runTurns();
  return { world, hub, emperor };
}

function pass(world: FakeWorld, ms: number): void {
  world.time.advance(ms);
  world.time.runTurns();
}

const stateOf = (e: Emperor, name: string): string | undefined => e.vassals.get(name)?.state;

test('notify: the instance gets NOTIFY_SOCKET, stays STARTING past start-secs, and READY=1 makes it RUNNING', async () => {
  const { world, hub, emperor } = readyWorld({ 'web.ini': vassalFile('web', { notify: 'true' }) });
  const child = world.procs.of('web')[0];
  assert.ok(child !== undefined);
  assert.equal(child.request.env.NOTIFY_SOCKET, hub.path);
  pass(world, 3000);
  assert.equal(stateOf(emperor, 'web'), 'STARTING', 'start-secs does not apply to a vassal with notify');
  assert.equal(hub.deliver(99_999, 'READY=1'), false, 'a stranger is not heard');
  assert.ok(hub.deliver(child.pid, 'STATUS=warming up\nREADY=1'));
  await flush();
  assert.equal(stateOf(emperor, 'web'), 'RUNNING');
  assert.equal(emperor.vassals.get('web')?.instances[0]?.state.statusText, 'warming up');
});

test('notify: no READY=1 within start-timeout is a failed start', async () => {
  const { world, emperor } = readyWorld({ 'web.ini': vassalFile('web', { notify: 'true', 'start-timeout': '5s' }) });
  pass(world, 4900);
  assert.equal(stateOf(emperor, 'web'), 'STARTING');
  pass(world, 200);
  const child = world.procs.of('web')[0];
  assert.ok(world.procs.sent.some((s) => s.target === child?.pid), 'the instance that never said READY=1 is stopped');
  await flush();
  pass(world, 100);
  assert.notEqual(stateOf(emperor, 'web'), 'RUNNING');
});

test('watchdog: a READY instance that misses its WATCHDOG=1 gets watchdog-signal and is spawned again', async () => {
  const { world, hub, emperor } = readyWorld({ 'web.ini': vassalFile('web', { notify: 'true', watchdog: '5s' }) });
  const first = world.procs.of('web')[0];
  assert.ok(first !== undefined);
  assert.equal(first.request.env.WATCHDOG_USEC, '5000000');
  hub.deliver(first.pid, 'READY=1');
  await flush();
  assert.equal(stateOf(emperor, 'web'), 'RUNNING');
  pass(world, 4000);
  hub.deliver(first.pid, 'WATCHDOG=1');
  await flush();
  pass(world, 4000);
  assert.deepEqual(world.procs.sent.filter((s) => s.target === first.pid), [], 'a ping pushed the deadline back');
  pass(world, 1100);
  const sent = world.procs.sent.filter((s) => s.target === first.pid).map((s) => s.signal);
  assert.ok(sent.includes('SIGABRT'), `watchdog-signal sent (got ${sent.join(', ')})`);
  first.exit(null, 'SIGABRT');
  await flush();
  pass(world, 2000);
  assert.equal(world.procs.of('web').length, 2, 'spawned again');
  const runner = emperor.vassals.get('web')?.instances[0];
  assert.equal(runner?.state.watchdogFires, 1);
  assert.ok(hub.handlers.has(world.procs.of('web')[1]?.pid ?? -1), 'the new process is listened to');
  assert.ok(!hub.handlers.has(first.pid), 'the old one no longer');
});

test('depends NAME:completed: the app waits while the one-shot runs, and starts once it EXITED with a success code', async () => {
  const { world, emperor } = readyWorld({
    'app.ini': vassalFile('app', { depends: 'migrate:completed' }),
    'migrate.ini': vassalFile('migrate', { restart: 'never' }),
  });
  assert.equal(world.procs.of('app').length, 0);
  assert.match(emperor.vassals.get('app')?.error ?? '', /waiting for migrate to complete/);
  pass(world, 1500);
  assert.equal(world.procs.of('app').length, 0, 'RUNNING is not completed');
  world.procs.of('migrate')[0]?.exit(0);
  await flush();
  world.time.runTurns();
  assert.equal(stateOf(emperor, 'migrate'), 'EXITED');
  assert.equal(world.procs.of('app').length, 1, 'released by the completed one-shot');
});

test('depends NAME:completed: a failed one-shot keeps its dependent waiting, and says why', async () => {
  const { world, emperor } = readyWorld({
    'app.ini': vassalFile('app', { depends: 'migrate:completed' }),
    'migrate.ini': vassalFile('migrate', { restart: 'never' }),
  });
  pass(world, 1500);
  world.procs.of('migrate')[0]?.exit(3);
  await flush();
  world.time.runTurns();
  assert.equal(world.procs.of('app').length, 0);
  assert.match(emperor.vassals.get('app')?.error ?? '', /its last run failed/);
});

test('uWSGI vassals: the Emperor pipe is fd 3, 5 makes it RUNNING, a stop is the byte 2 and not a signal', async () => {
  const text = '[uwsgi]\nsocket = 127.0.0.1:3031\nmodule = app\nworkers = 2\n';
  const { world, hub, emperor } = readyWorld({ 'web.ini': text });
  const child = world.procs.children[0];
  assert.ok(child !== undefined);
  const pipe = hub.pipes[0];
  assert.ok(pipe !== undefined);
  assert.equal(child.request.listenFd, pipe.childFd);
  assert.equal(child.request.env.UWSGI_EMPEROR_FD, '3');
  pipe.receive(1);
  pipe.receive(5);
  await flush();
  assert.equal(stateOf(emperor, 'web'), 'RUNNING');
  void emperor.vassals.get('web')?.stop();
  await flush();
  assert.deepEqual(pipe.sent, [2]);
  assert.deepEqual(world.procs.sent.filter((s) => s.target === child.pid && s.signal !== 'SIGKILL'), []);
});

test('without uWSGI Emperor pipes (no native helper), a [uwsgi] vassal runs as before the protocol: no fd 3, RUNNING after start-secs', async () => {
  const text = '[uwsgi]\nsocket = 127.0.0.1:3031\nmodule = app\nworkers = 2\n';
  const { world, hub, emperor } = readyWorld({ 'web.ini': text }, false);
  const child = world.procs.children[0];
  assert.ok(child !== undefined, 'it is spawned');
  assert.equal(hub.pipes.length, 0);
  assert.equal(child.request.env.UWSGI_EMPEROR_FD, undefined);
  assert.equal(child.request.listenFd ?? null, null);
  await flush();
  assert.equal(stateOf(emperor, 'web'), 'STARTING');
  pass(world, 1500);
  await flush();
  assert.equal(stateOf(emperor, 'web'), 'RUNNING');
});
