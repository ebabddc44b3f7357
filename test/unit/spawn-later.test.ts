// Spawning off the main thread (Spawner.spawnLater): the native helper's clone on libuv's pool keeps every
// promise of a spawn on the main thread: output, exit codes, failures named the same, descriptors held until
// it settles, an exit that comes before anyone listens, and a stop that arrives while the spawn is in flight.
import { test } from 'node:test';
import { exited, read } from './fakes/spawned-output.ts';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeHelper, type NativeHelper } from '../../src/io/native.ts';
import { nativeSpawner, type NativeSpawnHelper } from '../../src/io/native-spawn.ts';
import { ownCgroupDir, probeCgroupDir, realCgroupSystem } from '../../src/io/cgroup-setup.ts';
import type { SpawnedProcess, SpawnFailed, SpawnRequest, Spawner } from '../../src/io/spawner.ts';
import { withVassal, quickSpec } from './fakes/vassal-build.ts';
import { settle } from './fakes/vassal-services.ts';

const helper = nativeHelper();
const native = typeof helper === 'string' ? helper : nativeSpawner(helper);
const skip = typeof native === 'string' ? native : native.spawnLater === undefined ? 'the native helper has no spawnProcessAsync' : false;

const request = (argv: string[], more: Partial<SpawnRequest> = {}): SpawnRequest => ({ argv, cwd: '/', env: { PATH: '/usr/bin:/bin' }, umask: null, stdout: { kind: 'pipe' }, stderr: { kind: 'pipe' }, ...more });


async function startedLater(s: Spawner, req: SpawnRequest): Promise<SpawnedProcess> {
  const p = await (s.spawnLater as (r: SpawnRequest) => Promise<SpawnedProcess | SpawnFailed>)(req);
  if ('error' in p) throw new Error(p.error);
  return p;
}

test('native, off the main thread: output, its own group, umask, directory and exit code, as spawn gives them', { skip }, async () => {
  const s = native as Spawner;
  const dir = mkdtempSync(join(tmpdir(), 'emperor-later-'));
  try {
    const pending = s.spawnLater?.(request(['sh', '-c', 'echo out; echo err >&2; ps -o pid=,pgid=,sid= -p $$; umask; pwd; exit 7'], { cwd: dir, umask: 0o027 }));
    assert.ok(pending instanceof Promise, 'the spawn settles later');
    const p = await startedLater(s, request(['sh', '-c', 'exit 0']));
    const first = await pending;
    assert.ok(!('error' in first));
    const [out, err, exit] = await Promise.all([read(first.stdout), read(first.stderr), exited(first), exited(p)]);
    const lines = out.trim().split('\n');
    assert.equal(lines[0], 'out');
    assert.equal(err, 'err\n');
    assert.deepEqual(lines[1]?.trim().split(/\s+/).map(Number), [first.pid, first.pid, first.pid]);
    assert.deepEqual(lines.slice(2), ['0027', dir]);
    assert.deepEqual(exit, [7, null]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('native, off the main thread: fifty at once, each exit heard with its own code, also from children that die at once', { skip }, async () => {
  const s = native as Spawner;
  const started = await Promise.all(Array.from({ length: 50 }, (_, i) => startedLater(s, request(['sh', '-c', `exit ${i % 7}`], { stdout: { kind: 'null' }, stderr: { kind: 'null' } }))));
  assert.equal(new Set(started.map((p) => p.pid)).size, 50);
  // Most of them are gone before anyone listens: their exits were kept.
  await new Promise((r) => setTimeout(r, 100));
  const codes = await Promise.all(started.map(exited));
  assert.deepEqual(codes, started.map((_, i) => [i % 7, null]));
});

test('native, off the main thread: a descriptor given reaches the child; failures are named as spawn names them', { skip }, async () => {
  const s = native as Spawner;
  const dir = mkdtempSync(join(tmpdir(), 'emperor-later-'));
  try {
    const file = openSync(join(dir, 'out'), 'w');
    const p = await startedLater(s, request(['sh', '-c', 'echo to-file'], { stdout: { kind: 'fd', fd: file }, stderr: { kind: 'null' } }));
    closeSync(file);
    assert.deepEqual(await exited(p), [0, null]);
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'to-file\n');
    const missing = await s.spawnLater?.(request(['no-such-program-here'], { env: { PATH: dir } }));
    assert.ok(missing !== undefined && 'error' in missing);
    assert.equal(missing.failure.code, 'E_SPAWN_NOT_FOUND');
    const nowhere = await s.spawnLater?.(request(['true'], { cwd: join(dir, 'gone') }));
    assert.ok(nowhere !== undefined && 'error' in nowhere);
    assert.equal(nowhere.failure.code, 'E_SPAWN_DIRECTORY');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const own = ownCgroupDir(realCgroupSystem);
const cgroupSkip = skip !== false ? skip : realCgroupSystem.root && !('missing' in own) && probeCgroupDir(own.dir).procsWritable ? false : 'no writable cgroup v2 here (needs root and cgroup2)';

test('native, off the main thread: the child enters its cgroup before it execs; one it cannot enter is a clear failure', { skip: cgroupSkip }, async () => {
  const s = native as Spawner;
  const dir = join((own as { dir: string }).dir, `spawn-later-test-${process.pid}`);
  mkdirSync(dir);
  try {
    const p = await startedLater(s, request(['cat', '/proc/self/cgroup'], { cgroup: dir }));
    const [out, exit] = await Promise.all([read(p.stdout), exited(p)]);
    assert.deepEqual(exit, [0, null]);
    const line = out.split('\n').find((l) => l.startsWith('0::')) ?? '';
    assert.ok(dir.endsWith(line.slice(3)), `${line} is ${dir}`);
    const missing = await s.spawnLater?.(request(['true'], { cgroup: join(dir, 'gone') }));
    assert.ok(missing !== undefined && 'error' in missing);
    assert.match(missing.error, /cannot start true: cannot enter its cgroup .*gone \(ENOENT\)/);
  } finally {
    rmdirSync(dir);
  }
});

test('an exit that comes before anyone listens is heard by the first listeners, after their own code; a reused pid starts afresh', async () => {
  let onExit: (pid: number, code: number, signal: number) => void = () => undefined;
  const fake = {
    socketPair: () => 24,
    watchExits: (cb: typeof onExit) => ((onExit = cb), 0),
    spawnProcess: () => 4242,
    spawnProcessAsync: (...args: unknown[]) => {
      setImmediate(() => (args[7] as (r: number) => void)(4242));
      return 0;
    },
  } as unknown as NativeHelper & NativeSpawnHelper;
  const s = nativeSpawner(fake);
  assert.ok(typeof s !== 'string' && s.spawnLater !== undefined);
  const p = await s.spawnLater(request(['x'], { stdout: { kind: 'null' }, stderr: { kind: 'null' } }));
  assert.ok(!('error' in p));
  onExit(4242, 3, 0);
  const heard: string[] = [];
  p.onExit((code, signal) => heard.push(`a ${code} ${signal}`));
  p.onExit((code, signal) => heard.push(`b ${code} ${signal}`));
  heard.push('registered');
  await settle();
  assert.deepEqual(heard, ['registered', 'a 3 null', 'b 3 null']);
  const again = s.spawn(request(['x'], { stdout: { kind: 'null' }, stderr: { kind: 'null' } }));
  assert.ok(!('error' in again));
  const later: string[] = [];
  again.onExit((code, signal) => later.push(`${code} ${signal}`));
  await settle();
  assert.deepEqual(later, [], 'the old exit is not the new child\'s');
  onExit(4242, -1, 9);
  assert.deepEqual(later, ['null SIGKILL']);
});

test('a stop while the spawn is in flight: the process, once there, is stopped; nothing is left', async () => {
  await withVassal(quickSpec(), async (v, f) => {
    const held: Array<() => void> = [];
    (f.spawner as Spawner).spawnLater = (req) => new Promise((resolve) => held.push(() => resolve(f.spawner.spawn(req))));
    v.start();
    assert.equal(f.spawner.procs.length, 0, 'not spawned yet');
    const stopped = v.stop();
    assert.equal(v.state, 'STOPPING');
    held.shift()?.();
    await settle();
    const p = f.spawner.procs[0];
    assert.ok(p !== undefined);
    assert.deepEqual(f.signals, [`${p.pid} SIGTERM`]);
    p.exit(null, 'SIGTERM');
    await stopped;
    assert.equal(v.state, 'STOPPED');
  });
});

test('native: the environment reaches the child whole (empty values, = in values, many variables); a NUL byte in it is refused', { skip }, async () => {
  const s = native as Spawner;
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', EMPTY: '', EQ: 'a=b=c', SPACE: 'x y' };
  for (let i = 0; i < 100; i++) env[`V${i}`] = `value ${i}`;
  const p = await startedLater(s, request(['sh', '-c', 'env | sort'], { env }));
  const [out, exit] = await Promise.all([read(p.stdout), exited(p)]);
  assert.deepEqual(exit, [0, null]);
  const seen = out.trim().split('\n').filter((l) => !l.startsWith('PWD=') && !l.startsWith('SHLVL=') && !l.startsWith('_='));
  assert.deepEqual(seen, Object.entries(env).map(([k, v]) => `${k}=${v}`).sort());
  for (const spawn of [(r: SpawnRequest) => s.spawn(r), (r: SpawnRequest) => s.spawnLater?.(r)]) {
    const bad = await spawn(request(['true'], { env: { PATH: '/usr/bin:/bin', BAD: 'a\0b' } }));
    assert.ok(bad !== undefined && 'error' in bad);
    assert.equal(bad.error, 'cannot start true: its environment variable BAD holds a NUL byte');
  }
});
