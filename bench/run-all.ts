// Runs every bench script in turn with its defaults (what `npm run bench` runs); each prints its own numbers.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support.ts';

/** The bench scripts, in the order they run. */
export const SCRIPTS = ['pickup-respawn.ts', 'idle-rss.ts', 'stats-latency.ts', 'log-throughput.ts', 'sampling-cost.ts', 'zero-downtime.ts', 'event-latency.ts', 'ready-latency.ts'] as const;

let failed = 0;
for (const script of SCRIPTS) {
  console.log(`== bench/${script}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script)], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`bench/${script} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exitCode = failed === 0 ? 0 : 1;
