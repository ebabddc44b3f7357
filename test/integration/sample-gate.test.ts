// Sampling that reads nothing while nothing runs (cgroups: one counter for the fleet) still sees a vassal that
// wakes up after the fleet went quiet: its CPU shows, the idle one's figures stand. Also with process groups
// (`--cgroup off`), where every tick reads what is due.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { withEmperor, vassalFile } from './harness.ts';

for (const mode of [{ name: 'contained (when root with cgroup v2)', args: [] }, { name: '--cgroup off', args: ['--cgroup', 'off'] }]) {
  test(`${mode.name}: a vassal that starts working after the fleet went quiet gets its CPU figure`, async () => {
    await withEmperor(['--sample-interval', '100ms', ...mode.args], async (e) => {
      const fifo = join(e.root, 'go.fifo');
      execFileSync('mkfifo', [fifo]);
      e.write('idle.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
      // Blocked opening the FIFO (no CPU at all) until the test opens its other end; then a busy loop.
      e.write('late.ini', vassalFile({ command: `sh -c 'read x < ${fifo}; while :; do :; done'`, 'start-secs': '100ms' }));
      await e.waitState('idle', 'RUNNING');
      await e.waitState('late', 'RUNNING');
      // Quiet: both read idle since their last reads (the gate may settle from here on).
      await e.waitVassal('idle', 'read idle', (v) => v.cpu_percent === 0 && typeof v.rss_bytes === 'number' && v.rss_bytes > 0, 15000);
      await e.waitVassal('late', 'read idle', (v) => v.cpu_percent === 0, 15000);
      execFileSync('sh', ['-c', `echo go > ${fifo}`], { timeout: 10000 });
      const busy = await e.waitVassal('late', 'busy', (v) => typeof v.cpu_percent === 'number' && v.cpu_percent > 20, 15000);
      assert.ok(typeof busy.rss_bytes === 'number' && busy.rss_bytes > 0);
      const idle = (await e.stats()).vassals.find((v) => v.name === 'idle');
      assert.ok(idle !== undefined && typeof idle.rss_bytes === 'number' && idle.rss_bytes > 0, 'the idle vassal keeps its figures');
      assert.ok(idle.cpu_percent !== null && idle.cpu_percent < 20, JSON.stringify(idle));
    });
  });
}
