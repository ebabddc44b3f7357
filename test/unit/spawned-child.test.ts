// A spawned child as the runner supervises it: through its process group or its cgroup, its exit heard
// once from the spawner (a later listener still hears it), and `overriding` keeping the class's methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overriding, SpawnedChild, type ChildPorts } from '../../src/runtime/spawned-child.ts';
import type { SpawnCgroup } from '../../src/runtime/emperor-ports.ts';

type Exit = (code: number | null, signal: string | null) => void;

function ports(): ChildPorts & { calls: string[]; warned: string[]; groupUp: boolean } {
  const p = {
    calls: [] as string[],
    warned: [] as string[],
    groupUp: true,
    signals: { kill: (pid: number, sig: string) => (p.calls.push(`kill ${pid} ${sig}`), true) },
    groupAlive: (pgid: number) => (p.calls.push(`groupAlive ${pgid}`), p.groupUp),
    killGroup: (pgid: number, sig: string) => void p.calls.push(`killGroup ${pgid} ${sig}`),
    events: { write: (r: { vassal: string; instance: number; message: string }) => void p.warned.push(`${r.vassal}/${r.instance}: ${r.message}`) },
  };
  return p;
}

function spawner(): { watch: (l: Exit) => void; watched: number; exit: Exit } {
  const s = { watched: 0, listener: null as Exit | null, watch: (l: Exit) => ((s.watched += 1), (s.listener = l)), exit: (c: number | null, g: string | null) => s.listener?.(c, g) };
  return s;
}

test('a child in its process group: signals, aliveness and its exit, the spawner asked once', async () => {
  const p = ports();
  const sp = spawner();
  const child = new SpawnedChild(p, 42, sp.watch, null, 'web', 0);
  assert.equal(sp.watched, 1, 'the exit is watched at once, whoever listens later');
  assert.deepEqual([child.pid, child.guarded, child.contained], [42, true, false]);
  child.signal('SIGTERM');
  assert.equal(child.signalMain('SIGHUP'), true);
  assert.equal(child.alive(), true);
  assert.deepEqual(p.calls, ['killGroup 42 SIGTERM', 'kill 42 SIGHUP', 'groupAlive 42']);
  const heard: unknown[] = [];
  child.onExit((code, signal, reason) => heard.push(['first', code, signal, reason]));
  sp.exit(1, null);
  assert.deepEqual(heard, [['first', 1, null, undefined]]);
  child.onExit((code, signal, reason) => heard.push(['late', code, signal, reason]));
  await new Promise((r) => queueMicrotask(() => r(null)));
  assert.deepEqual(heard[1], ['late', 1, null, undefined], 'a listener after the exit hears it too');
  assert.equal(sp.watched, 1);
  assert.ok(!Object.values(child).some((v) => typeof v === 'function'), 'no closure per child');
});

test('a child in its cgroup: signals and aliveness through it, an OOM kill told once, the exit inside keepWhile', () => {
  const p = ports();
  const sp = spawner();
  const log: string[] = [];
  const cg: SpawnCgroup = {
    dir: '/sys/fs/cgroup/x',
    signal: (sig) => void log.push(`cg ${sig}`),
    alive: () => (log.push('cg alive'), false),
    oomKilled: () => 'killed by the OOM killer (memory-max 10M)',
    keepWhile: (during) => {
      log.push('keep');
      during();
      log.push('kept');
    },
  };
  const child = new SpawnedChild(p, 7, sp.watch, cg, 'db', 2);
  assert.equal(child.contained, true, 'the cgroup guardian covers it');
  child.signal('SIGKILL');
  assert.equal(child.alive(), false);
  child.onExit((code, signal, reason) => log.push(`exit ${code} ${signal} ${reason}`));
  child.onExit(() => log.push('second listener'));
  sp.exit(null, 'SIGKILL');
  assert.deepEqual(log, ['cg SIGKILL', 'cg alive', 'keep', 'exit null SIGKILL killed by the OOM killer (memory-max 10M)', 'second listener', 'kept']);
  assert.deepEqual(p.warned, ['db/2: killed by the OOM killer (memory-max 10M)'], 'told once, not once per listener');
  assert.deepEqual(p.calls, [], 'nothing through the process group');
});

test('overriding: the replaced methods and the class\'s own, kept (a spread would drop them)', () => {
  const p = ports();
  const sp = spawner();
  const child = new SpawnedChild(p, 9, sp.watch, null, 'w', 0);
  const seen: string[] = [];
  const wrapped = overriding(child, { signal: (sig) => void seen.push(`own ${sig}`) });
  wrapped.signal('SIGTERM');
  wrapped.signalMain('SIGUSR1');
  assert.equal(wrapped.alive(), true);
  wrapped.onExit((code) => seen.push(`exit ${code}`));
  sp.exit(0, null);
  assert.deepEqual(seen, ['own SIGTERM', 'exit 0']);
  assert.deepEqual(p.calls, ['kill 9 SIGUSR1', 'groupAlive 9']);
  assert.deepEqual([wrapped.pid, wrapped.guarded, wrapped.contained], [9, true, false]);
  const released: string[] = [];
  const daemonLike = { ...wrapped, release: () => void released.push('released') };
  overriding(daemonLike, {}).release?.();
  assert.deepEqual(released, ['released']);
});
