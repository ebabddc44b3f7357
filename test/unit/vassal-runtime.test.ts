// A real Vassal (src/runtime/vassal.ts) over fakes behind its ports: processes exited by hand,
// timers advanced by hand, signals recorded. No process, no socket, no timer of the machine's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withVassal, quickSpec, pids, notes } from './fakes/vassal-build.ts';
import { settle, vassalFakes } from './fakes/vassal-services.ts';
import { Vassal } from '../../src/runtime/vassal.ts';

const TCP = (host: string, port = 8000) => ({ kind: 'tcp', host, port }) as const;

test('start: one process per instance, each told its index; the vassal is RUNNING', async () => {
  await withVassal(quickSpec({ instances: 2 }), (v, f) => {
    v.start();
    assert.deepEqual(f.spawner.procs.map((p) => p.instance), [0, 1]);
    assert.equal(v.state, 'RUNNING');
    assert.equal(v.wanted, true);
    assert.deepEqual(pids(v), f.spawner.procs.map((p) => p.pid));
  });
});

test('stop: the stop signal to every group; whenQuiet resolves once every process is gone', async () => {
  await withVassal(quickSpec({ instances: 2 }), async (v, f) => {
    v.start();
    let quiet = false;
    const stopped = v.stop().then(() => void (quiet = true));
    assert.deepEqual(f.signals, f.spawner.procs.map((p) => `${p.pid} SIGTERM`));
    assert.equal(v.state, 'STOPPING');
    f.spawner.procs[0]!.exit(null, 'SIGTERM');
    await settle();
    assert.equal(quiet, false, 'one process is left');
    f.spawner.procs[1]!.exit(null, 'SIGTERM');
    await stopped;
    assert.equal(v.state, 'STOPPED');
    assert.equal(v.wanted, false);
  });
});

test('a held stop: a dependency recheck starts nothing; a file change does (autostart)', async () => {
  await withVassal(quickSpec(), async (v, f) => {
    f.exitOnSignal = true;
    v.start();
    await v.stop();
    v.applyChange(quickSpec({ autostart: false }), 'supervision', '2');
    assert.equal(f.spawner.procs.length, 1, 'held across a change without autostart');
    assert.equal(v.state, 'STOPPED');
    v.applyChange(quickSpec(), 'touch', '3');
    assert.equal(f.spawner.procs.length, 2, 'a change with autostart starts it');
    assert.equal(v.state, 'RUNNING');
  });
});

test('dependencies: it waits STOPPED and says for what, then starts once they are RUNNING', async () => {
  await withVassal(quickSpec({ depends: ['db'] }), (v, f) => {
    f.missing = ['db'];
    v.start();
    assert.equal(f.spawner.procs.length, 0);
    assert.deepEqual(v.waitingFor, ['db']);
    assert.equal(v.error, 'waiting for db to be RUNNING (depends)');
    f.missing = [];
    v.start();
    assert.equal(f.spawner.procs.length, 1);
    assert.equal(v.error, null);
  });
});

test('rolling restart without a socket: one instance at a time, the next once the first is RUNNING again', async () => {
  await withVassal(quickSpec({ instances: 2 }), (v, f) => {
    v.start();
    const [a, b] = f.spawner.procs;
    v.rollingRestart();
    assert.deepEqual(f.signals, [`${a!.pid} SIGTERM`]);
    a!.exit(null, 'SIGTERM');
    assert.equal(f.spawner.procs.length, 3, 'instance 0 starts again');
    assert.deepEqual(f.signals, [`${a!.pid} SIGTERM`, `${b!.pid} SIGTERM`], 'then instance 1 stops');
    b!.exit(null, 'SIGTERM');
    assert.deepEqual(f.spawner.live().map((p) => p.instance), [0, 1]);
    assert.equal(v.state, 'RUNNING');
  });
});

test('a touch without reload-signal restarts every instance; with one, only the signal goes (no restart)', async () => {
  await withVassal(quickSpec(), (v, f) => {
    f.exitOnSignal = true;
    v.start();
    v.applyChange(quickSpec({ reloadSignal: 'SIGHUP' }), 'touch', '2');
    assert.deepEqual(f.signals, [], 'a reload signal goes to the main process, never the group');
    assert.equal(f.spawner.live().length, 1);
    v.applyChange(quickSpec(), 'touch', '3');
    assert.equal(f.spawner.procs.length, 2, 'restarted');
    assert.equal(f.spawner.live().length, 1);
  });
});

test('a supervision-only change keeps the processes; a restart change replaces them', async () => {
  await withVassal(quickSpec(), (v, f) => {
    f.exitOnSignal = true;
    v.start();
    const before = pids(v);
    v.applyChange(quickSpec({ stopTimeout: 3000 }), 'supervision', '2');
    assert.deepEqual(pids(v), before);
    v.applyChange(quickSpec({ stopTimeout: 3000, command: ['/bin/sh', '-c', 'sleep 2000'] }), 'restart', '3');
    assert.notDeepEqual(pids(v), before);
    assert.deepEqual(f.spawner.live()[0]!.request.argv, ['/bin/sh', '-c', 'sleep 2000']);
  });
});

test('resize: more instances start at once, fewer stop the last ones, which are forgotten once gone', async () => {
  await withVassal(quickSpec({ instances: 1 }), (v, f) => {
    v.start();
    v.applyChange(quickSpec({ instances: 3 }), 'supervision', '2');
    assert.deepEqual(f.spawner.live().map((p) => p.instance), [0, 1, 2]);
    v.applyChange(quickSpec({ instances: 1 }), 'supervision', '3');
    assert.equal(v.instances.length, 1);
    assert.equal(v.allRunners().length, 3, 'the two last ones stop');
    assert.equal(v.state, 'STOPPING');
    for (const p of f.spawner.procs.slice(1)) p.exit(null, 'SIGTERM');
    assert.equal(v.allRunners().length, 1);
    assert.equal(v.state, 'RUNNING');
  });
});

test('a roll with a socket: each replacement starts beside its instance, which stops once it is RUNNING; never INVALID or down', async () => {
  await withVassal(quickSpec({ instances: 2, socket: TCP('127.0.0.1') }), async (v, f) => {
    v.start();
    await settle();
    const [a, b] = f.spawner.procs;
    v.rollingRestart();
    assert.equal(f.spawner.procs.length, 3, 'a replacement for instance 0 beside it');
    assert.equal(f.spawner.procs[2]!.instance, 0);
    assert.deepEqual(f.signals, [`${a!.pid} SIGTERM`], 'the old one stops once the replacement is RUNNING');
    assert.equal(v.state, 'RUNNING', 'the replacement and the draining process are not instances');
    a!.exit(null, 'SIGTERM');
    assert.equal(f.spawner.procs.length, 4, 'the next replacement waits for the last drained process');
    b!.exit(null, 'SIGTERM');
    assert.deepEqual(pids(v), [f.spawner.procs[2]!.pid, f.spawner.procs[3]!.pid]);
    assert.deepEqual(f.sockets, ['open tcp://127.0.0.1:8000 100'], 'one socket, kept');
    assert.ok(notes(f).some((m) => m.startsWith('rolling restart: replacement pid')));
  });
});

test('a roll with a socket: a replacement that crashes is stopped and the old instance keeps serving', async () => {
  await withVassal(quickSpec({ instances: 1, socket: TCP('127.0.0.1'), healthCheck: 'http://127.0.0.1:8000/' }), async (v, f) => {
    v.start();
    await settle();
    v.instances[0]!.dispatch({ type: 'health', ok: true, message: 'HTTP 200' });
    const old = f.spawner.procs[0]!;
    assert.equal(v.state, 'RUNNING');
    v.rollingRestart();
    const rep = f.spawner.procs[1]!;
    rep.exit(1);
    assert.match(v.rollError ?? '', /the replacement of instance 0 failed \(exited with code 1 0\.0s after start.*\); it was stopped; 1 instance still runs the previous version/);
    assert.equal(v.error, v.rollError);
    assert.deepEqual(pids(v), [old.pid]);
    assert.equal(v.state, 'RUNNING');
    assert.ok(f.signals.every((s) => !s.startsWith(`${old.pid} `)), 'the old one got no signal');
  });
});

test('a roll with a socket: a replacement not RUNNING by its deadline (health never passing) is stopped', async () => {
  await withVassal(quickSpec({ instances: 1, socket: TCP('127.0.0.1'), healthCheck: 'http://127.0.0.1:8000/', healthRetries: 1, healthInterval: 1000, healthTimeout: 500 }), async (v, f) => {
    v.start();
    await settle();
    v.instances[0]!.dispatch({ type: 'health', ok: true, message: 'HTTP 200' });
    const old = f.spawner.procs[0]!;
    v.rollingRestart();
    const rep = f.spawner.procs[1]!;
    f.timers.advance(2499);
    assert.equal(v.rollError, null);
    f.timers.advance(1);
    assert.match(v.rollError ?? '', /not RUNNING 2\.5s after its start/);
    assert.deepEqual(f.signals, [`${rep.pid} SIGTERM`]);
    rep.exit(null, 'SIGTERM');
    assert.deepEqual(pids(v), [old.pid]);
    assert.equal(v.allRunners().length, 1);
  });
});

test('a stop during a roll stops the replacement too; nothing starts afterwards', async () => {
  await withVassal(quickSpec({ instances: 2, socket: TCP('127.0.0.1'), healthCheck: 'http://127.0.0.1:8000/' }), async (v, f) => {
    f.exitOnSignal = true;
    v.start();
    await settle();
    for (const r of v.instances) r.dispatch({ type: 'health', ok: true, message: 'HTTP 200' });
    v.rollingRestart();
    assert.equal(f.spawner.procs.length, 3);
    await v.stop();
    assert.equal(f.spawner.live().length, 0);
    f.timers.advance(60_000);
    assert.equal(f.spawner.procs.length, 3, 'no deadline fires, nothing starts');
    assert.equal(v.rollError, null);
    assert.equal(f.timers.count, 0);
  });
});

test('a same-port address change stops every instance before the new address is bound, then starts them', async () => {
  await withVassal(quickSpec({ instances: 2, socket: TCP('127.0.0.1') }), async (v, f) => {
    v.start();
    await settle();
    v.applyChange(quickSpec({ instances: 2, socket: TCP('0.0.0.0') }), 'restart', '2');
    assert.ok(notes(f).some((m) => m.includes('on the same port: every instance stops')));
    assert.equal(f.signals.length, 2);
    f.spawner.procs[0]!.exit(null, 'SIGTERM');
    assert.equal(f.spawner.procs.length, 2, 'nothing starts while the port is held');
    f.spawner.procs[1]!.exit(null, 'SIGTERM');
    await settle();
    assert.deepEqual(f.spawner.live().map((p) => p.instance), [0, 1]);
    assert.deepEqual(f.sockets, ['open tcp://127.0.0.1:8000 100', 'close 100', 'open tcp://0.0.0.0:8000 101']);
  });
});

test('a same-port change: emperorctl stop before the old processes are gone calls the deferred start off', async () => {
  await withVassal(quickSpec({ socket: TCP('127.0.0.1') }), async (v, f) => {
    v.start();
    await settle();
    v.applyChange(quickSpec({ socket: TCP('0.0.0.0') }), 'restart', '2');
    const stopped = v.stop();
    f.spawner.procs[0]!.exit(null, 'SIGTERM');
    await stopped;
    await settle();
    assert.equal(f.spawner.procs.length, 1, 'called off');
    assert.equal(v.state, 'STOPPED');
  });
});

test('removal: retired, nothing starts it again, whenQuiet resolves once gone', async () => {
  await withVassal(quickSpec({ instances: 2 }), async (v, f) => {
    f.exitOnSignal = true;
    v.start();
    await v.stop(true);
    assert.equal(v.retired, true);
    v.start();
    v.rollingRestart();
    v.applyChange(quickSpec({ instances: 3 }), 'supervision', '2');
    assert.equal(f.spawner.procs.length, 2);
    assert.equal(v.instances.length, 2, 'a change to a removed vassal is ignored');
  });
});

test('shutdown: the emperor marks it retired, then a start is refused and release leaves it unwatched', async () => {
  await withVassal(quickSpec(), (v, f) => {
    v.start();
    v.retired = true;
    assert.equal(v.retired, true);
    v.release();
    v.start();
    assert.equal(f.spawner.procs.length, 1);
    assert.equal(v.wanted, false);
  });
});

test('an unusable file leaves the processes exactly as they are; the state shows INVALID', async () => {
  await withVassal(quickSpec(), (v, f) => {
    v.start();
    v.markInvalid('/etc/emperor/vassals/web.ini', 'web.ini:3: unknown key', '2');
    assert.equal(v.state, 'INVALID');
    assert.equal(v.instanceState, 'RUNNING');
    assert.deepEqual(f.signals, []);
  });
});

test('a spawn that fails shows the error and backs off', async () => {
  await withVassal(quickSpec(), (v, f) => {
    f.spawner.fail = 'spawn /bin/sh EACCES';
    v.start();
    assert.equal(v.state, 'BACKOFF');
    assert.match(v.error ?? '', /EACCES/);
  });
});

test('a vassal whose file was never usable has no instance; its first valid file starts it', async () => {
  const f = vassalFakes();
  const v = new Vassal('web', null, { file: '/etc/emperor/vassals/web.ini', error: 'web.ini:1: no command', version: '1' }, f.services);
  try {
    assert.equal(v.state, 'INVALID');
    assert.equal(v.instances.length, 0);
    v.applyChange(quickSpec({ instances: 2 }), 'restart', '2');
    assert.equal(v.state, 'RUNNING');
    assert.deepEqual(f.spawner.procs.map((p) => p.instance), [0, 1]);
  } finally {
    v.dispose();
  }
});

test('a replacement takes over the restarts and last exit of the instance it replaces: the count never goes down with a deploy', async () => {
  await withVassal(quickSpec({ socket: TCP('127.0.0.1') }), async (v, f) => {
    v.start();
    await settle();
    f.timers.advance(5000);
    f.spawner.procs[0]!.exit(1);
    assert.equal(v.instances[0]!.state.restarts, 1, 'an exit nobody asked for, restarted');
    const exit = v.instances[0]!.state.lastExit;
    v.rollingRestart();
    assert.equal(v.instances[0]!.state.pid, f.spawner.procs[2]!.pid, 'the replacement is instance 0 now');
    assert.equal(v.instances[0]!.state.restarts, 1);
    assert.deepEqual(v.instances[0]!.state.lastExit, exit);
  });
});

test('a change that drops the health check lets an instance waiting only for it be RUNNING at once', async () => {
  await withVassal(quickSpec({ healthCheck: 'http://127.0.0.1:8000/' }), (v) => {
    v.start();
    assert.equal(v.state, 'STARTING', 'up for start-secs, waiting for the first health check to pass');
    v.applyChange(quickSpec(), 'supervision', '2');
    assert.equal(v.state, 'RUNNING');
  });
});

test('killNow sends SIGKILL to every group, a replacement starting included', async () => {
  await withVassal(quickSpec({ instances: 2, socket: TCP('127.0.0.1'), healthCheck: 'http://127.0.0.1:8000/' }), async (v, f) => {
    v.start();
    await settle();
    for (const r of v.instances) r.dispatch({ type: 'health', ok: true, message: 'HTTP 200' });
    v.rollingRestart();
    v.killNow();
    assert.deepEqual(f.signals.sort(), f.spawner.procs.map((p) => `${p.pid} SIGKILL`).sort());
  });
});

test('release (shutdown with daemons) leaves every process running: no signal, no timer, nothing starts again', async () => {
  await withVassal(quickSpec({ instances: 2, socket: TCP('127.0.0.1'), healthCheck: 'http://127.0.0.1:8000/' }), async (v, f) => {
    v.start();
    await settle();
    for (const r of v.instances) r.dispatch({ type: 'health', ok: true, message: 'HTTP 200' });
    const before = f.timers.count;
    v.rollingRestart();
    assert.ok(f.timers.count >= before + 1, 'the roll deadline, beside the replacement timers');
    v.retired = true;
    v.release();
    v.start();
    assert.deepEqual(f.signals, []);
    assert.equal(f.timers.count, 0);
    assert.equal(f.spawner.live().length, 3);
    assert.equal(v.wanted, false);
  });
});

test('the emperor hears of every instance change, and is never asked for the dependencies of a removed vassal', async () => {
  const f = vassalFakes();
  let changes = 0;
  let asked = 0;
  f.services.stateChanged = () => void changes++;
  f.services.missingDependencies = () => (asked++, []);
  const v = new Vassal('web', quickSpec(), { file: '/etc/emperor/vassals/web.ini', error: null, version: '1' }, f.services);
  try {
    v.start();
    assert.equal(asked, 1);
    assert.ok(changes >= 2, 'STARTING, then RUNNING');
    f.exitOnSignal = true;
    await v.stop(true);
    v.start();
    assert.equal(asked, 1);
  } finally {
    v.dispose();
  }
});
