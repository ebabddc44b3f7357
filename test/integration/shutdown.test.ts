// The emperor's own end: SIGTERM stops everything in order, SIGKILL still leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorUnderTest, FIXTURES, alive, vassalFile, waitFor } from './harness.ts';

const pidsIn = (file: string): number[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

async function fleet(e: EmperorUnderTest): Promise<number[]> {
  const pidFile = join(e.root, 'tree');
  writeFileSync(pidFile, '');
  e.write('plain.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
  e.write('tree.ini', vassalFile({ command: `${FIXTURES}/ignore-term-tree.sh ${pidFile}`, 'stop-timeout': '500ms', 'start-secs': '100ms' }));
  e.write('many.ini', vassalFile({ command: 'sleep 100000', instances: 3, 'start-secs': '100ms' }));
  await e.waitState('plain', 'RUNNING');
  await e.waitState('tree', 'RUNNING');
  await e.waitState('many', 'RUNNING');
  const tree = await waitFor('tree pids', () => (pidsIn(pidFile).length >= 3 ? pidsIn(pidFile) : null));
  const doc = await e.stats();
  return [...doc.vassals.flatMap((v) => v.pids), ...tree];
}

test('SIGTERM stops every vassal, process groups included, and exits 0', async () => {
  const e = await new EmperorUnderTest().start();
  try {
    const pids = await fleet(e);
    process.kill(e.pid, 'SIGTERM');
    await e.waitExit();
    assert.equal(e.exitCode, 0);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} outlived the emperor`);
    assert.match(e.output, /all vassals stopped/);
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('SIGKILL of the emperor still leaves no vassal process behind (the guardian)', async () => {
  const e = await new EmperorUnderTest().start();
  try {
    const pids = await fleet(e);
    process.kill(e.pid, 'SIGKILL');
    await e.waitExit();
    await waitFor('every vassal process to be gone', () => pids.every((p) => !alive(p)), 5000);
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('a second SIGINT kills at once', async () => {
  const e = await new EmperorUnderTest().start();
  try {
    const pidFile = join(e.root, 'tree');
    writeFileSync(pidFile, '');
    e.write('slow.ini', vassalFile({ command: `${FIXTURES}/ignore-term-tree.sh ${pidFile}`, 'stop-timeout': '60s', 'start-secs': '100ms' }));
    await e.waitState('slow', 'RUNNING');
    const tree = await waitFor('tree pids', () => (pidsIn(pidFile).length >= 3 ? pidsIn(pidFile) : null));
    process.kill(e.pid, 'SIGINT');
    await waitFor('the first SIGINT to be taken', () => e.output.includes('SIGINT: stopping'));
    process.kill(e.pid, 'SIGINT');
    await e.waitExit(5000);
    await waitFor('the tree to be gone', () => tree.every((p) => !alive(p)), 3000);
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('a second SIGINT in the middle of a start burst leaves no child behind, those still being spawned included', async () => {
  // Without cgroups nothing else would catch a child the thread pool was still starting when the emperor exits.
  const e = await new EmperorUnderTest(['--cgroup', 'off']).start();
  const tag = `0.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
  const ours = (): number[] =>
    readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(tag);
      } catch {
        return false;
      }
    }).map(Number);
  try {
    for (let i = 0; i < 120; i++) e.write(`b${i}.ini`, vassalFile({ command: `sleep 100000 ${tag}${String(i).padStart(3, '0')}` }));
    await waitFor('the burst to begin', () => ours().length > 0, 10000, 1);
    process.kill(e.pid, 'SIGINT');
    await waitFor('the first SIGINT to be taken', () => e.output.includes('SIGINT: stopping'), 10000, 1);
    process.kill(e.pid, 'SIGINT');
    await e.waitExit(5000);
    await waitFor(`every child to be gone (left: ${ours().join(' ')})`, () => ours().length === 0, 3000);
  } finally {
    for (const pid of ours()) process.kill(pid, 'SIGKILL');
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('on shutdown dependents stop before their dependencies', async () => {
  const e = await new EmperorUnderTest().start();
  try {
    e.write('db.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    e.write('app.ini', vassalFile({ command: `sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'`, depends: 'db', 'start-secs': '100ms' }));
    await e.waitState('app', 'RUNNING');
    process.kill(e.pid, 'SIGTERM');
    await e.waitExit();
    const appStopped = e.output.indexOf('app[0]: STOPPED');
    const dbStopping = e.output.indexOf('db[0]: STOPPING');
    assert.ok(appStopped > 0 && dbStopping > appStopped, e.output);
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('SIGHUP rescans without disturbing running vassals', async () => {
  const e = await new EmperorUnderTest(['--rescan-interval', '1h']).start();
  try {
    e.write('a.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '0' }));
    const pid = (await e.waitState('a', 'RUNNING')).pids[0];
    process.kill(e.pid, 'SIGHUP');
    await waitFor('the rescan line', () => e.output.includes('SIGHUP: rescanning'));
    assert.deepEqual((await e.vassal('a'))?.pids, [pid]);
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});
