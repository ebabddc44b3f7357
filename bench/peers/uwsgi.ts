// The uWSGI Emperor: one vassal (a uwsgi master) per INI file, each running its program with attach-daemon.
import { oneProcess } from './one-process.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readUnix, startDaemon } from '../lib/daemon.ts';
import { isAlive } from '../lib/proc.ts';
import { waitUntil } from '../lib/util.ts';
import { onPath } from './which.ts';
import type { Peer, Program, Supervisor } from './types.ts';

function vassalIni(p: Program): string {
  return `[uwsgi]\nmaster = true\nattach-daemon = ${p.argv.join(' ')}\n`;
}

function create(dir: string): Supervisor {
  const vassals = join(dir, 'vassals');
  const staging = join(dir, 'staging');
  for (const d of [vassals, staging]) mkdirSync(d, { recursive: true });
  const stats = join(dir, 'stats.sock');
  let pid = 0;
  return {
    async start(programs) {
      for (const p of programs) writeFileSync(join(vassals, `${p.name}.ini`), vassalIni(p));
      pid = startDaemon('uwsgi', ['--emperor', vassals, '--emperor-stats-server', stats, '--die-on-term'], join(dir, 'uwsgi.out'));
      await waitUntil(() => existsSync(stats) || !isAlive(pid), 60_000);
    },
    async stage(p) {
      writeFileSync(join(staging, `${p.name}.ini`), vassalIni(p));
    },
    async add(p) {
      renameSync(join(staging, `${p.name}.ini`), join(vassals, `${p.name}.ini`));
    },
    async statusSocket() {
      JSON.parse(await readUnix(stats));
    },
    ...oneProcess(() => pid),
  };
}

/** uWSGI's Emperor mode (Debian's uwsgi-core). */
export const uwsgiPeer: Peer = {
  name: 'uwsgi',
  missing: () => (onPath('uwsgi') ? null : 'uwsgi not on PATH (apt-get install uwsgi-core)'),
  version() {
    try {
      return execFileSync('uwsgi', ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  },
  create,
  statusLabels: { socket: 'emperor stats socket', cli: null },
};
