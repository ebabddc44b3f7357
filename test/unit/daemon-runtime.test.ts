// startDaemon, the thin runner of the daemon watch, over fake time, processes, pidfiles and records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, DAEMON_CHECK_MS, type DaemonOptions } from '../../src/runtime/daemon.ts';
import type { PendingSpawn, Supervised } from '../../src/runtime/supervised.ts';
import type { Signals } from '../../src/runtime/ports.ts';
import type { ProcessIdentity } from '../../src/io/pidfile.ts';
import { FakeTime, WALL_EPOCH_MS, flush } from './fakes/runtime-time.ts';
import { FakeProcesses, type SentSignal } from './fakes/runtime-processes.ts';
import { FakeFacts, FakeGuardian, FakeRecords } from './fakes/runtime-ports.ts';
import { failed, type Failed } from '../../src/core/errors.ts';

const PIDFILE = '/run/app/app.pid';

// A daemon start over fakes; signals reach fake children and the processes the facts know.
function rig(over: Partial<DaemonOptions> = {}) {
  const time = new FakeTime();
  time.advance(10_000);
  const procs = new FakeProcesses(time);
  const facts = new FakeFacts();
  const records = new FakeRecords();
  const guard = new FakeGuardian();
  const notes: string[] = [];
  const sent: SentSignal[] = [];
  const signals: Signals = {
    killGroup: (g, s) => (sent.push({ at: time.now, target: g, group: true, signal: s }), procs.groupAlive(g) || facts.processes.has(g)),
    kill: (p, s) => (sent.push({ at: time.now, target: p, group: false, signal: s }), facts.processes.has(p)),
    groupAlive: (g) => procs.groupAlive(g),
  };
  const options: DaemonOptions = {
    name: 'app',
    pidfile: PIDFILE,
    pidfileBy: 'daemon',
    request: { argv: ['/usr/sbin/appd'], cwd: '/', env: {}, umask: null, stdout: { kind: 'null' }, stderr: { kind: 'null' } },
    spawner: procs,
    records,
    startTimeoutMs: 10_000,
    uid: 1000,
    rights: null,
    emperorPid: 50,
    guard,
    note: (m) => void notes.push(m),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5000,
    ports: { time, signals, facts },
    ...over,
  };
  // A daemon process started `ago` ms before now (wall time), as the launch's fork would be.
  const daemon = (pid: number, ago = 0): ProcessIdentity => {
    const id = { pid, startTicks: 100 + pid, startMs: WALL_EPOCH_MS + time.now - ago, uid: 1000, name: 'appd' };
    facts.processes.set(pid, id);
    return id;
  };
  return { time, procs, facts, records, guard, notes, sent, options, daemon };
}

const isPending = (r: Supervised | PendingSpawn | Failed): r is PendingSpawn => 'pending' in r;

test('a live daemon named by its pidfile and recorded by the last emperor is adopted at once', () => {
  const r = rig();
  const id = r.daemon(300, 3_600_000);
  r.facts.pidfiles.set(PIDFILE, { pid: 300, mtimeMs: 0 });
  r.records.map.set('app', { pid: 300, startTicks: id.startTicks, bootMs: r.facts.bootMs, pidfile: PIDFILE });
  const got = startDaemon(r.options);
  assert.ok('signal' in got && got.pid === 300);
  assert.equal(r.procs.children.length, 0, 'nothing launched');
  assert.deepEqual(r.notes, [`adopted the running daemon pid 300 (appd) named by ${PIDFILE}`]);
  assert.deepEqual(r.facts.watched, ['/run/app'], 'its pidfile directory is watched');
});

test('launch, then the pidfile names the forked daemon: adopted, the launcher group untracked, the record written', async () => {
  const r = rig();
  const started = startDaemon(r.options);
  assert.ok(isPending(started));
  const launcher = r.procs.children[0];
  assert.ok(launcher !== undefined && r.guard.groups.has(launcher.pid), 'the launcher is guarded while it runs');
  r.time.advance(120);
  r.daemon(300);
  r.facts.pidfiles.set(PIDFILE, { pid: 300, mtimeMs: WALL_EPOCH_MS + r.time.now });
  launcher.exit(0);
  r.time.advance(WAIT_STEP);
  const sup = await started.pending;
  assert.ok('pid' in sup && sup.pid === 300 && !sup.guarded);
  assert.ok(!r.guard.groups.has(launcher.pid), 'the daemon outlives the emperor, launcher group included');
  assert.equal(r.records.get('app')?.pid, 300);
});
const WAIT_STEP = 60;

test('no pidfile by the deadline: the launcher is ended and the error says what the command did', async () => {
  const r = rig();
  const started = startDaemon(r.options);
  assert.ok(isPending(started));
  const launcher = r.procs.children[0];
  launcher?.exit(3);
  r.time.advance(10_000);
  assert.deepEqual(await started.pending, failed('E_PIDFILE_TIMEOUT', `pidfile ${PIDFILE} does not exist within 10 s of the launch; the command exited with code 3`));
});

test('a launcher still in the foreground at the deadline is killed, and told to use `command`', async () => {
  const r = rig();
  const started = startDaemon(r.options);
  assert.ok(isPending(started));
  r.time.advance(10_000);
  const got = await started.pending;
  assert.ok('error' in got && got.error.includes('it never daemonized'));
  assert.deepEqual(r.sent.filter((s) => s.signal === 'SIGKILL').map((s) => [s.target, s.group]), [[r.procs.children[0]?.pid, true]]);
});

test('a cancelled start stops the daemon that appears afterwards: its stop signal, then SIGKILL at stop-timeout', async () => {
  const r = rig();
  const started = startDaemon(r.options);
  assert.ok(isPending(started));
  r.time.advance(100);
  started.cancel();
  assert.deepEqual(await started.pending, failed('E_SPAWN_CANCELLED', 'start cancelled'));
  r.time.advance(300);
  r.daemon(300);
  r.facts.pidfiles.set(PIDFILE, { pid: 300, mtimeMs: WALL_EPOCH_MS + r.time.now });
  r.time.advance(200);
  assert.ok(r.notes.includes('stopping pid 300 (appd), the daemon of a start that was cancelled'));
  const toDaemon = (): string[] => r.sent.filter((s) => s.target === 300).map((s) => s.signal);
  assert.deepEqual(toDaemon(), ['SIGTERM']);
  r.time.advance(5000);
  assert.deepEqual(toDaemon(), ['SIGTERM', 'SIGKILL'], 'still the same process: SIGKILL');
});

test('a start cancelled for shutdown leaves a daemon that appears for the next emperor', async () => {
  const r = rig();
  const started = startDaemon(r.options);
  assert.ok(isPending(started));
  started.cancel(false);
  await flush();
  r.daemon(300);
  r.facts.pidfiles.set(PIDFILE, { pid: 300, mtimeMs: WALL_EPOCH_MS + r.time.now });
  r.time.advance(20_000);
  assert.deepEqual(r.sent.filter((s) => s.target === 300), []);
});

test('a supervised daemon is signalled only while it is the process adopted; a reused pid ends it', async () => {
  const r = rig();
  const id = r.daemon(300, 1000);
  r.facts.pidfiles.set(PIDFILE, { pid: 300, mtimeMs: id.startMs + 200 });
  const sup = startDaemon(r.options);
  assert.ok('signal' in sup);
  const exits: Array<[number | null, string | null]> = [];
  sup.onExit((c, s) => void exits.push([c, s]));
  sup.signal('SIGHUP');
  assert.equal(sup.signalMain('SIGUSR1'), true);
  assert.deepEqual(r.sent.map((s) => [s.target, s.group, s.signal]), [[300, false, 'SIGHUP'], [300, false, 'SIGUSR1']]);
  r.facts.processes.set(300, { ...id, startTicks: 999 });
  assert.equal(sup.signalMain('SIGUSR1'), false, 'never to a reused pid');
  r.time.advance(DAEMON_CHECK_MS);
  assert.deepEqual(exits, [[null, null]]);
  assert.equal(r.records.get('app'), null, 'its record is forgotten');
  assert.equal(sup.alive(), false);
});

test('smart-attach-daemon2: the emperor writes the pidfile and signals the command\'s group', () => {
  const r = rig({ pidfileBy: 'emperor' });
  r.daemon(1000);
  const sup = startDaemon(r.options);
  assert.ok('signal' in sup && sup.pid === 1000);
  assert.deepEqual(r.facts.written, [{ path: PIDFILE, pid: 1000 }]);
  assert.equal(r.time.timersPending.length, 1, 'only the once-a-second check: no pidfile poll');
  sup.signal('SIGTERM');
  assert.deepEqual(r.sent.map((s) => [s.target, s.group]), [[1000, true]]);
});

test('smart-attach-daemon2: a pidfile that cannot be written kills the command and names the file', () => {
  const r = rig({ pidfileBy: 'emperor' });
  r.daemon(1000);
  r.facts.writeError = 'EACCES';
  assert.deepEqual(startDaemon(r.options), failed('E_PIDFILE_WRITE', `cannot write pidfile ${PIDFILE}: EACCES`));
  assert.deepEqual(r.sent.map((s) => [s.target, s.signal]), [[1000, 'SIGKILL']]);
});

test('a launch the spawner refuses is that error, at once', () => {
  const r = rig();
  r.procs.failures.set('/usr/sbin/appd', 'spawn /usr/sbin/appd ENOENT');
  const started = startDaemon(r.options);
  assert.ok('error' in started && !('pending' in started));
  assert.equal(started.error, 'spawn /usr/sbin/appd ENOENT');
});

test('a record that cannot be written is a note, never a failure: supervision goes on without it', () => {
  const r = rig();
  const id = r.daemon(300, 1000);
  r.facts.pidfiles.set(PIDFILE, { pid: 300, mtimeMs: id.startMs + 200 });
  r.records.set = () => 'cannot record the daemon in /state/daemons: EROFS; the next emperor may not adopt it';
  const sup = startDaemon(r.options);
  assert.ok('signal' in sup && sup.alive());
  assert.deepEqual(r.notes.slice(1), ['cannot record the daemon in /state/daemons: EROFS; the next emperor may not adopt it']);
});
