// s6: s6-svscan on a scan directory, one s6-supervise per service; a new service needs `s6-svscanctl -a`.
import { oneProcess } from './one-process.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.ts';
import { run } from '../lib/util.ts';
import { tai64Files, writeLoggingService, writeService } from './service-dirs.ts';
import { debVersion, onPath } from './which.ts';
import type { LogProgram, Peer, Supervisor } from './types.ts';

function create(dir: string): Supervisor {
  const scandir = join(dir, 'scan');
  const staging = join(dir, 'staging');
  for (const d of [scandir, staging]) mkdirSync(d, { recursive: true });
  let pid = 0;
  // s6-svscan watches at most 500 services unless told more with -c
  const launch = (services = 1): void => {
    pid = startDaemon('s6-svscan', ['-c', String(Math.max(500, services * 2 + 100)), scandir], join(dir, 's6-svscan.out'));
  };
  return {
    async start(programs) {
      for (const p of programs) writeService(scandir, p);
      launch(programs.length);
    },
    async startLogging(p: LogProgram) {
      mkdirSync(p.logDir, { recursive: true });
      writeLoggingService(scandir, p, `s6-log n${p.backups} s${p.maxBytes} ${p.logDir}`);
      launch();
    },
    logFiles: (p: LogProgram) => tai64Files(p.logDir),
    async stage(p) {
      writeService(staging, p);
    },
    async add(p) {
      renameSync(join(staging, p.name), join(scandir, p.name));
      const r = await run('s6-svscanctl', ['-a', scandir]);
      if (r.code !== 0) throw new Error(`s6-svscanctl -a exited ${r.code}: ${r.stderr}`);
    },
    async statusCli() {
      // s6 has no status-of-all: one s6-svstat per service, as an operator's loop does
      const r = await run('/bin/sh', ['-c', 'for d in "$1"/*; do s6-svstat "$d" || exit 1; done', 'sh', scandir]);
      if (r.code !== 0) throw new Error(`s6-svstat loop exited ${r.code}: ${r.stderr.slice(0, 200)}`);
    },
    // TERM: s6-svscan brings every supervised service down and exits
    ...oneProcess(() => pid),
  };
}

/** s6 from Debian (s6-svscan, s6-supervise, s6-svscanctl, s6-svstat, s6-log). */
export const s6Peer: Peer = {
  name: 's6',
  missing: () => (['s6-svscan', 's6-supervise', 's6-svscanctl', 's6-svstat', 's6-log'].every((b) => onPath(b) !== null) ? null : 's6 binaries not on PATH (apt-get install s6)'),
  version: () => debVersion('s6', (c, a) => execFileSync(c, a, { encoding: 'utf8' })) ?? 'unknown',
  create,
  statusLabels: { socket: null, cli: 's6-svstat per service' },
};
