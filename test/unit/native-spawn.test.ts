// Both spawners (the native helper's and Node's child_process) keep the same promises: a process group
// of its own, stdin on /dev/null, pipes or descriptors for its output, fd 3, umask, directory, the PATH
// of its own environment, its exit with code or signal, and a clear failure for a missing program.
import { test } from 'node:test';
import { exited, read } from './fakes/spawned-output.ts';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { ownCgroupDir, probeCgroupDir, realCgroupSystem } from '../../src/io/cgroup-setup.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeHelper } from '../../src/io/native.ts';
import { nativeSpawner } from '../../src/io/native-spawn.ts';
import { nodeSpawner, type SpawnedProcess, type SpawnRequest, type Spawner } from '../../src/io/spawner.ts';

const helper = nativeHelper();
const native = typeof helper === 'string' ? helper : nativeSpawner(helper);
const SPAWNERS: Array<{ name: string; spawner: Spawner | string }> = [
  { name: 'native', spawner: native },
  { name: 'child_process', spawner: nodeSpawner },
];


const request = (argv: string[], more: Partial<SpawnRequest> = {}): SpawnRequest => ({
  argv,
  cwd: '/',
  env: { PATH: '/usr/bin:/bin' },
  umask: null,
  stdout: { kind: 'pipe' },
  stderr: { kind: 'pipe' },
  ...more,
});

function started(spawner: Spawner, req: SpawnRequest): SpawnedProcess {
  const p = spawner.spawn(req);
  if ('error' in p) throw new Error(p.error);
  return p;
}

for (const { name, spawner } of SPAWNERS) {
  const skip = typeof spawner === 'string' ? spawner : false;
  test(`${name}: output through pipes, its own session and group, stdin /dev/null, umask, directory, exit code`, { skip }, async () => {
    const s = spawner as Spawner;
    const dir = mkdtempSync(join(tmpdir(), 'emperor-spawn-'));
    try {
      const script = 'echo out; echo err >&2; ps -o pid=,pgid=,sid= -p $$; readlink /proc/self/fd/0; umask; pwd; echo "$FOO"; exit 7';
      const p = started(s, request(['sh', '-c', script], { cwd: dir, umask: 0o027, env: { PATH: '/usr/bin:/bin', FOO: 'bar' } }));
      const [out, err, exit] = await Promise.all([read(p.stdout), read(p.stderr), exited(p)]);
      const lines = out.trim().split('\n');
      assert.equal(lines[0], 'out');
      assert.equal(err, 'err\n');
      assert.deepEqual(lines[1]?.trim().split(/\s+/).map(Number), [p.pid, p.pid, p.pid]);
      assert.deepEqual(lines.slice(2), ['/dev/null', '0027', dir, 'bar']);
      assert.deepEqual(exit, [7, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${name}: a signal's death is reported by name; descriptors and fd 3 reach the child`, { skip }, async () => {
    const s = spawner as Spawner;
    const dir = mkdtempSync(join(tmpdir(), 'emperor-spawn-'));
    try {
      const file = openSync(join(dir, 'out'), 'w');
      const three = openSync(join(dir, 'three'), 'w');
      const p = started(s, request(['sh', '-c', 'echo to-file; echo to-three >&3; kill -TERM $$'], { stdout: { kind: 'fd', fd: file }, stderr: { kind: 'null' }, listenFd: three }));
      closeSync(file);
      closeSync(three);
      assert.equal(p.stdout, null);
      assert.deepEqual(await exited(p), [null, 'SIGTERM']);
      assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'to-file\n');
      assert.equal(readFileSync(join(dir, 'three'), 'utf8'), 'to-three\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${name}: an output pair's end reaches the child blocking (a full pipe waits, never loses a write)`, { skip }, async () => {
    const s = spawner as Spawner;
    const pair = await s.outputPair();
    try {
      const p = started(s, request(['sh', '-c', 'grep ^flags /proc/self/fdinfo/1 >&2'], { stdout: { kind: 'fd', fd: pair.childEnd } }));
      pair.closeChildEnd();
      const [err, exit] = await Promise.all([read(p.stderr), exited(p)]);
      assert.deepEqual(exit, [0, null]);
      const flags = parseInt(/flags:\s*(\d+)/.exec(err)?.[1] ?? 'x', 8);
      assert.equal(flags & 0o4000, 0, `O_NONBLOCK is off: ${err.trim()}`);
    } finally {
      pair.destroy();
    }
  });

  test(`${name}: the program is looked up in the PATH of the child's environment; a missing one is a clear failure`, { skip }, async () => {
    const s = spawner as Spawner;
    const dir = mkdtempSync(join(tmpdir(), 'emperor-spawn-'));
    try {
      writeFileSync(join(dir, 'hello'), '#!/bin/sh\necho hello from path\n');
      chmodSync(join(dir, 'hello'), 0o755);
      const p = started(s, request(['hello'], { env: { PATH: `/nonexistent:${dir}` } }));
      const [out, exit] = await Promise.all([read(p.stdout), exited(p)]);
      assert.equal(out, 'hello from path\n');
      assert.deepEqual(exit, [0, null]);
      const missing = s.spawn(request(['no-such-program-here'], { env: { PATH: dir } }));
      assert.ok('error' in missing);
      assert.equal(missing.failure.code, 'E_SPAWN_NOT_FOUND');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const own = ownCgroupDir(realCgroupSystem);
const cgroupSkip = typeof native === 'string' ? native : realCgroupSystem.root && !('missing' in own) && probeCgroupDir(own.dir).procsWritable ? false : 'no writable cgroup v2 here (needs root and cgroup2)';

test('native: the child enters the cgroup of the request before it execs (no shim); a cgroup it cannot enter is a clear failure', { skip: cgroupSkip }, async () => {
  const s = native as Spawner;
  assert.equal(s.cgroups, true);
  const dir = join((own as { dir: string }).dir, `native-spawn-test-${process.pid}`);
  mkdirSync(dir);
  try {
    const p = started(s, request(['cat', '/proc/self/cgroup'], { cgroup: dir }));
    const [out, exit] = await Promise.all([read(p.stdout), exited(p)]);
    assert.deepEqual(exit, [0, null]);
    const line = out.split('\n').find((l) => l.startsWith('0::')) ?? '';
    assert.ok(dir.endsWith(line.slice(3)), `${line} is ${dir}`);
    const missing = s.spawn(request(['true'], { cgroup: join(dir, 'gone') }));
    assert.ok('error' in missing);
    assert.match(missing.error, /cannot start true: cannot enter its cgroup .*gone \(ENOENT\)/);
  } finally {
    rmdirSync(dir);
  }
});
