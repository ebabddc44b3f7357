// A respawn after a crash runs in the cgroup leaf its instance's last process left empty (no rmdir, no mkdir
// between the crash and its replacement), with the native spawner and with child_process. A leaf something
// still holds (a grandchild that ignores TERM) is never reused: the respawn gets a fresh leaf and the old one
// is killed (cgroup.kill) and removed. Markers: unusual sleep durations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EmperorUnderTest, alive, vassalFile, waitFor } from './harness.ts';
import { ownCgroupDir, probeCgroupDir, realCgroupSystem } from '../../src/io/cgroup-setup.ts';

const own = ownCgroupDir(realCgroupSystem);
const skip = realCgroupSystem.root && !('missing' in own) && probeCgroupDir(own.dir).procsWritable ? false : 'no writable cgroup v2 here (needs root and cgroup2)';

const MODES = [
  { name: 'native spawn', env: {} },
  { name: 'child_process (EMPEROR_NATIVE_SPAWN=0)', env: { EMPEROR_NATIVE_SPAWN: '0' } },
];

// The directory of the cgroup `pid` is in, under the emperor's subtree `base` (from its start line).
function leafOf(base: string, pid: number): string {
  const path = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '';
  const at = path.indexOf(`/${basename(base)}/`);
  assert.ok(at >= 0, `${pid} is in ${path}, not under ${base}`);
  return join(base, path.slice(at + basename(base).length + 2));
}

const procsOf = (dir: string): number[] => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

async function contained(e: EmperorUnderTest): Promise<string> {
  await e.start();
  const m = /containment: a cgroup per vassal under (\S+) /.exec(e.output);
  assert.ok(m !== null, e.output);
  return m[1] ?? '';
}

async function upForASecond(e: EmperorUnderTest, name: string): Promise<void> {
  await waitFor('1 s of uptime', async () => ((await e.vassal(name))?.started_at ?? Infinity) < Date.now() / 1000 - 1.1);
}

for (const mode of MODES) {
  test(`${mode.name}: a respawn after SIGKILL runs in the same, emptied cgroup leaf`, { skip }, async () => {
    const e = new EmperorUnderTest();
    Object.assign(e.env, mode.env);
    try {
      const base = await contained(e);
      e.write('r.ini', vassalFile({ command: 'sleep 4251.5', 'start-secs': '100ms' }));
      const first = (await e.waitState('r', 'RUNNING')).pids[0] ?? 0;
      const leaf = leafOf(base, first);
      assert.match(leaf, /\/vassals\/r@0\.\d+$/);
      for (let round = 1; round <= 2; round++) {
        await upForASecond(e, 'r');
        const before = (await e.vassal('r'))?.pids[0] ?? 0;
        process.kill(before, 'SIGKILL');
        const v = await e.waitVassal('r', `respawn ${round}`, (x) => x.state === 'RUNNING' && (x.pids[0] ?? before) !== before);
        assert.equal(v.restarts, round);
        const next = v.pids[0] ?? 0;
        assert.equal(leafOf(base, next), leaf, 'the same leaf');
        assert.deepEqual(procsOf(leaf), [next], 'only the new process in it');
      }
    } finally {
      assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
    }
  });
}

test('a leaf a leftover process holds is not reused: it is killed and removed, the respawn gets a fresh leaf', { skip }, async () => {
  const e = new EmperorUnderTest();
  try {
    const base = await contained(e);
    // The leader forks a grandchild that ignores TERM, then becomes `sleep 4253.5`.
    e.write('g.ini', vassalFile({ command: `sh -c 'sh -c "trap \\"\\" TERM; exec sleep 4252.5" & exec sleep 4253.5'`, 'start-secs': '100ms' }));
    const leader = (await e.waitState('g', 'RUNNING')).pids[0] ?? 0;
    const leaf = leafOf(base, leader);
    await waitFor('the grandchild in the leaf', () => procsOf(leaf).length === 2);
    const grandchild = procsOf(leaf).find((p) => p !== leader) ?? 0;
    assert.match(readFileSync(`/proc/${grandchild}/cmdline`, 'latin1'), /^sleep\x004252\.5/);
    await upForASecond(e, 'g');
    process.kill(leader, 'SIGKILL');
    const v = await e.waitVassal('g', 'respawned', (x) => x.state === 'RUNNING' && (x.pids[0] ?? leader) !== leader);
    // Spawned into the leaf being killed, the new process would die with the leftovers: a failed start.
    assert.equal(v.restarts, 1, 'one restart, no failed start');
    assert.doesNotMatch(e.output, /failed start/);
    const next = v.pids[0] ?? 0;
    const fresh = leafOf(base, next);
    assert.notEqual(fresh, leaf, 'a fresh leaf: the old one still held the grandchild');
    await waitFor('the grandchild killed with its leaf', () => !alive(grandchild));
    await waitFor('the old leaf removed', () => !existsSync(leaf));
    await waitFor('the new grandchild in the fresh leaf', () => procsOf(fresh).length === 2);
    assert.ok(!procsOf(fresh).includes(grandchild));
  } finally {
    assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
  }
});
