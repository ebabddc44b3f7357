// Both ways the emperor spawns, end to end: the native helper's (the default when it is built) and Node's
// child_process (EMPEROR_NATIVE_SPAWN=0, or no helper). Same behaviour: output to the log and the
// emperor's own, a respawn after SIGKILL counted, the process group its own, its cgroup when contained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorUnderTest, vassalFile, waitFor } from './harness.ts';

const MODES = [
  { name: 'native spawn', env: {} },
  { name: 'child_process (EMPEROR_NATIVE_SPAWN=0)', env: { EMPEROR_NATIVE_SPAWN: '0' } },
  // No helper at all: child_process, and the log pipes are socket pairs read by net.Sockets.
  { name: 'no native helper (EMPEROR_NO_NATIVE=1)', env: { EMPEROR_NO_NATIVE: '1' } },
];

const cgroupOf = (pid: number): string => readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::')) ?? '';
const pgidOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]);

for (const mode of MODES) {
  test(`${mode.name}: output, a respawn after SIGKILL, its own group and cgroup`, async () => {
    const e = new EmperorUnderTest();
    Object.assign(e.env, mode.env);
    try {
      await e.start();
      const log = join(e.root, 'out.log');
      e.write('w.ini', vassalFile({ command: `sh -c 'echo to-log-$$; echo to-emperor-$$ >&2; exec sleep 100000'`, 'stdout-log': log, 'start-secs': '100ms' }));
      const first = (await e.waitState('w', 'RUNNING')).pids[0] ?? 0;
      assert.equal(pgidOf(first), first, 'the leader of its own process group');
      await waitFor('the line in the log', () => readFileSync(log, 'utf8').includes(`to-log-${first}\n`));
      await waitFor('the line on the emperor output', () => e.output.includes(`w: to-emperor-${first}`));
      const contained = /containment: a cgroup per vassal/.test(e.output);
      if (contained) assert.match(cgroupOf(first), /\/vassals\/w@0\.\d+$/);
      await waitFor('1 s of uptime', async () => ((await e.vassal('w'))?.started_at ?? Infinity) < Date.now() / 1000 - 1.1);
      process.kill(first, 'SIGKILL');
      const v = await e.waitVassal('w', 'respawned', (x) => x.state === 'RUNNING' && x.pids[0] !== first);
      assert.equal(v.restarts, 1);
      assert.equal(v.last_exit?.signal, 'SIGKILL');
      const second = v.pids[0] ?? 0;
      await waitFor('the new process in the log', () => readFileSync(log, 'utf8').includes(`to-log-${second}\n`));
      if (contained) assert.match(cgroupOf(second), /\/vassals\/w@0\.\d+$/);
    } finally {
      assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
    }
  });
}
