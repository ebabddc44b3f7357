// A supervisor that is one process of ours (emperor, supervisord, uWSGI, runsvdir, s6-svscan): its roots,
// its stop (one signal, the peer's own way) and the cleanup that ends its tree.
import { killTrees } from '../lib/daemon.ts';
import { isAlive } from '../lib/proc.ts';
import type { Supervisor } from './types.ts';

/** roots/stop/cleanup for the process `pidOf()` names (read at each call: it is set once started). */
export function oneProcess(pidOf: () => number, stopSignal: NodeJS.Signals = 'SIGTERM'): Pick<Supervisor, 'roots' | 'stop' | 'cleanup'> {
  return {
    roots: () => (pidOf() > 0 ? [pidOf()] : []),
    async stop() {
      const pid = pidOf();
      if (pid > 0 && isAlive(pid)) process.kill(pid, stopSignal);
    },
    async cleanup() {
      await killTrees([pidOf()]);
    },
  };
}
