// The spawn plan carried out: spawnInstance with a fake spawner behind its port gets one request per
// spawn, built from the plan, and every failure before the spawn comes back with its code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnInstance, type SpawnContext } from '../../src/runtime/instance-spawn.ts';
import type { VassalServices } from '../../src/runtime/vassal-services.ts';
import { VassalSocket, type OpenSocket } from '../../src/runtime/vassal-socket.ts';
import { VassalLogs } from '../../src/runtime/vassal-logs.ts';
import { OutputRing } from '../../src/runtime/output-ring.ts';
import { EventLog } from '../../src/runtime/event-log.ts';
import { FileDaemonRecords } from '../../src/io/daemon-records.ts';
import { FakeFacts } from './fakes/runtime-ports.ts';
import type { SpawnedProcess, SpawnRequest, Spawner, SpawnFailed } from '../../src/io/spawner.ts';
import { failed, type Failed } from '../../src/core/errors.ts';
import { SHIM } from '../../src/runtime/spawn-plan.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { makeSpec } from './make-spec.ts';

/** A spawner that records each request and answers with a process (pid 4242) or the given failure. */
function fakeSpawner(answer: () => SpawnFailed | null = () => null): Spawner & { requests: SpawnRequest[] } {
  const requests: SpawnRequest[] = [];
  return {
    requests,
    spawn(req) {
      requests.push(req);
      const no = answer();
      if (no !== null) return no;
      const exits = new EventEmitter();
      const proc: SpawnedProcess = { pid: 4242, stdout: null, stderr: null, onExit: (l) => void exits.once('exit', l) };
      return proc;
    },
    outputPair: () => Promise.reject(Object.assign(new Error('no pairs here'), { code: 'EMFILE' })),
  };
}

/** A whole SpawnContext with fakes behind its ports; `open` binds sockets. */
function context(spawner: Spawner, dir: string, open: OpenSocket = () => failed('E_BIND_FAILED', 'no sockets here')): SpawnContext {
  const services: VassalServices = {
    clock: { now: () => 0, unixSeconds: () => 0 },
    timers: { setTimeout: () => ({}), clearTimeout: () => {}, setInterval: () => ({}), clearInterval: () => {} },
    random: () => 0.5,
    signals: { killGroup: () => true, kill: () => true, groupAlive: () => false },
    spawner,
    guardian: { track: () => {}, untrack: () => {} },
    events: new EventLog('text', () => {}),
    logDir: dir,
    baseEnv: { PATH: '/usr/bin:/bin' },
    stdout: () => {},
    stderr: () => {},
    groupAlive: () => false,
    killGroup: () => {},
    missingDependencies: () => [],
    stateChanged: () => {},
    records: new FileDaemonRecords(join(dir, 'records')),
    daemon: {
      time: { clock: { now: () => 0, unixSeconds: () => 0 }, timers: { setTimeout: () => ({}), clearTimeout: () => {}, setInterval: () => ({}), clearInterval: () => {} }, wallMs: () => 0 },
      signals: { killGroup: () => true, kill: () => true, groupAlive: () => false },
      facts: new FakeFacts(),
    },
    uwsgi: '/nonexistent/uwsgi',
    probe: () => Promise.resolve({ ok: true, message: 'fake' }),
    openSocket: open,
  };
  return { name: 'web', services, socket: new VassalSocket(open), logs: new VassalLogs('web', services), output: new OutputRing() };
}

/** Runs `fn` in a fresh directory, removed after. */
async function inDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-spawn-run-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const spawn = (ctx: SpawnContext, spec: VassalSpec): ReturnType<typeof spawnInstance> => spawnInstance(ctx, spec, 0);

test('a plain vassal: one request with the plan\'s argv, environment and directory, stdout and stderr piped to the emperor', () =>
  inDir((dir) => {
    const s = fakeSpawner();
    const r = spawn(context(s, dir), makeSpec({ command: ['/bin/true', 'x'], directory: dir }));
    assert.ok('pid' in r && r.pid === 4242 && r.guarded);
    assert.equal(s.requests.length, 1);
    const req = s.requests[0] as SpawnRequest;
    assert.deepEqual(req.argv, ['/bin/true', 'x']);
    assert.equal(req.cwd, dir);
    assert.deepEqual(req.env, { PATH: '/usr/bin:/bin', EMPEROR_VASSAL: 'web', EMPEROR_INSTANCE: '0' });
    assert.deepEqual([req.stdout, req.stderr], [{ kind: 'pipe' }, { kind: 'pipe' }]);
    assert.equal(req.listenFd, undefined);
  }));

test('a spawn that fails says why with its code; an [uwsgi] app file names the binary to install', () =>
  inDir((dir) => {
    const s = fakeSpawner(() => failed('E_SPAWN_NOT_FOUND', 'command not found: /nonexistent/uwsgi does not exist'));
    const r = spawn(context(s, dir), makeSpec({ uwsgiApp: true, command: ['uwsgi', '--ini', 'web.ini'] }));
    assert.ok('error' in r);
    assert.equal(r.failure.code, 'E_SPAWN_NOT_FOUND');
    assert.equal(r.error, 'command not found: /nonexistent/uwsgi does not exist (the uWSGI binary: install uwsgi or pass --uwsgi PATH)');
    assert.equal((s.requests[0] as SpawnRequest).argv[0], '/nonexistent/uwsgi');
  }));

test('an unknown user fails before any spawn, with its code', () =>
  inDir((dir) => {
    const s = fakeSpawner();
    const r = spawn(context(s, dir), makeSpec({ user: 'no-such-user-here' }));
    assert.ok('error' in r);
    assert.equal(r.failure.code, 'E_ACCOUNT_UNKNOWN');
    assert.match(r.error, /unknown user `no-such-user-here`/);
    assert.equal(s.requests.length, 0);
  }));

test('a socket that cannot be bound fails with its code and the key\'s line; nothing is spawned', () =>
  inDir((dir) => {
    const s = fakeSpawner();
    const r = spawn(context(s, dir, () => failed('E_BIND_IN_USE', 'cannot bind (EADDRINUSE)')), makeSpec({ socket: { kind: 'tcp', host: '127.0.0.1', port: 8080 }, lines: { command: 2, socket: 3 } }));
    assert.ok('error' in r);
    assert.equal(r.error, '/etc/emperor/vassals/web.ini:3: `socket = tcp://127.0.0.1:8080`: cannot bind (EADDRINUSE)');
    assert.equal(r.failure.code, 'E_BIND_FAILED', 'vassal-socket.ts keeps only the message for now');
    assert.equal(s.requests.length, 0);
  }));

test('a socket: fd 3 behind the shim; a program that is missing is named before the spawn', () =>
  inDir((dir) => {
    const open: OpenSocket = () => ({ fd: 77, ready: Promise.resolve(null), close: () => {} });
    const s = fakeSpawner();
    const spec = makeSpec({ command: ['/bin/true'], directory: dir, socket: { kind: 'tcp', host: '127.0.0.1', port: 8080 } });
    const ctx = context(s, dir, open);
    const first = spawn(ctx, spec);
    assert.ok('pending' in first, 'a socket just bound: the spawn waits for it to listen');
    return first.pending.then(async (started) => {
      assert.ok('pid' in started);
      const req = s.requests[0] as SpawnRequest;
      assert.equal(req.listenFd, 77);
      assert.deepEqual(req.argv, [...SHIM, '/bin/true']);
      assert.equal(req.env.LISTEN_FDS, '1');
      const missing = spawn(ctx, { ...spec, command: ['/nonexistent/prog'] });
      assert.ok('error' in missing, JSON.stringify(missing));
      assert.equal(missing.failure.code, 'E_SPAWN_NOT_FOUND');
      assert.equal(missing.error, 'command not found: /nonexistent/prog does not exist');
      assert.equal(s.requests.length, 1, 'no second spawn');
    });
  }));

test('log files: the output pipes are made first; when they cannot be, the start fails with E_LOG_PIPES', () =>
  inDir(async (dir) => {
    const s = fakeSpawner();
    const r = spawn(context(s, dir), makeSpec({ log: 'web.log' }));
    assert.ok('pending' in r);
    const done = (await r.pending) as Failed;
    assert.equal(done.failure.code, 'E_LOG_PIPES');
    assert.equal(done.error, 'cannot create the output pipes for the log files: EMFILE');
    assert.equal(s.requests.length, 0);
  }));

test('a daemon with `log`: the file is opened once and given as both stdout and stderr', () =>
  inDir(async (dir) => {
    const s = fakeSpawner(() => failed('E_SPAWN_FAILED', 'stop here'));
    const r = spawn(context(s, dir), makeSpec({ pidfile: join(dir, 'd.pid'), command: ['/bin/sh', '-c', 'true'], log: 'sub/d.log' }));
    assert.ok('error' in r && r.error === 'stop here');
    const req = s.requests[0] as SpawnRequest;
    assert.equal(req.stdout.kind, 'fd');
    assert.deepEqual(req.stderr, req.stdout);
    assert.equal(readFileSync(join(dir, 'sub/d.log'), 'utf8'), '', 'created under --log-dir');
  }));

test('a daemon whose log cannot be opened fails with E_LOG_OPEN naming the file; nothing is spawned', () =>
  inDir((dir) => {
    const s = fakeSpawner();
    const r = spawn(context(s, dir), makeSpec({ pidfile: join(dir, 'd.pid'), stdoutLog: '/proc/version/x.log' }));
    assert.ok('error' in r);
    assert.equal(r.failure.code, 'E_LOG_OPEN');
    assert.match(r.error, /^cannot open log file \/proc\/version\/x\.log: E[A-Z]+$/);
    assert.equal(s.requests.length, 0);
  }));
