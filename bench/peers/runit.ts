// runit: runsvdir on a service directory (it looks for new services every 5 s), one runsv per service.
import { oneProcess } from './one-process.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.ts';
import { run } from '../lib/util.ts';
import { tai64Files, writeLoggingService, writeService } from './service-dirs.ts';
import { debVersion, onPath } from './which.ts';
import type { LogProgram, Peer, Supervisor } from './types.ts';

function create(dir: string): Supervisor {
  const svdir = join(dir, 'service');
  const staging = join(dir, 'staging');
  for (const d of [svdir, staging]) mkdirSync(d, { recursive: true });
  let pid = 0;
  const launch = (): void => {
    pid = startDaemon('runsvdir', [svdir], join(dir, 'runsvdir.out'));
  };
  return {
    async start(programs) {
      for (const p of programs) writeService(svdir, p);
      launch();
    },
    async startLogging(p: LogProgram) {
      mkdirSync(p.logDir, { recursive: true });
      writeFileSync(join(p.logDir, 'config'), `s${p.maxBytes}\nn${p.backups}\n`);
      writeLoggingService(svdir, p, `svlogd ${p.logDir}`);
      launch();
    },
    logFiles: (p: LogProgram) => tai64Files(p.logDir),
    async stage(p) {
      writeService(staging, p);
    },
    async add(p) {
      renameSync(join(staging, p.name), join(svdir, p.name));
    },
    async statusCli() {
      const dirs = readdirSync(svdir).map((n) => join(svdir, n));
      const r = await run('sv', ['status', ...dirs]);
      if (r.code !== 0) throw new Error(`sv status exited ${r.code}: ${r.stdout.slice(0, 200)}`);
    },
    // HUP: runsvdir sends TERM to every runsv (which stops its service) and exits
    ...oneProcess(() => pid, 'SIGHUP'),
  };
}

/** runit from Debian (runsvdir, runsv, sv, svlogd). */
export const runitPeer: Peer = {
  name: 'runit',
  missing: () => (['runsvdir', 'runsv', 'sv', 'svlogd'].every((b) => onPath(b) !== null) ? null : 'runsvdir/runsv/sv/svlogd not on PATH (apt-get install runit)'),
  version: () => debVersion('runit', (c, a) => execFileSync(c, a, { encoding: 'utf8' })) ?? 'unknown',
  create,
  statusLabels: { socket: null, cli: 'sv status DIR/*' },
};
