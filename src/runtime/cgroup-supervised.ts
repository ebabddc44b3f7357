// Containment: the cgroup of a spawn, and a daemon watched through its cgroup. A plain child in a cgroup
// (spawned-child.ts) is stopped by signalling every process of it (SIGKILL is cgroup.kill) and is gone when
// the cgroup is empty, not when its leader exits: a setsid or double-forked child goes with it.
// The cgroup comes from the cgroup port; the spawn plan's shim (outermost in its argv) puts the child in it.
import type { VassalSpec } from '../config/spec.ts';
import type { CgroupPort, SpawnCgroup } from './emperor-ports.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import { failed, type Failed } from '../core/errors.ts';
import { overriding } from './spawned-child.ts';

/** The cgroup a spawn of instance `index` runs in; null without containment (`--cgroup off`, no cgroup v2). */
export function spawnCgroup(port: CgroupPort | undefined, spec: VassalSpec, index: number): SpawnCgroup | Failed | null {
  if (port === undefined) return null;
  const made = port.make(spec.name, index, spec.pidfile !== null, spec);
  return 'error' in made ? failed('E_CGROUP_FAILED', made.error) : made;
}

/**
 * A spawn that failed (the program missing, a log file, the fork itself) leaves its cgroup empty: it is
 * removed at once (alive() removes an empty cgroup) rather than at the tree's next sweep.
 */
export function releaseOnFailure(cg: SpawnCgroup | null, started: Supervised | PendingSpawn | Failed): Supervised | PendingSpawn | Failed {
  if (cg === null || 'pid' in started) return started;
  if ('error' in started) {
    cg.alive();
    return started;
  }
  const pending = started.pending.then((r) => {
    if ('error' in r) cg.alive();
    return r;
  });
  return { pending, cancel: (stopDaemon) => started.cancel(stopDaemon) };
}

/**
 * A smart-attached daemon watched through its cgroup too (the spawn site's one call): the cgroup is
 * found from the daemon's pid, so an adopted daemon is found in the cgroup it was started in. Signals
 * reach every process of it, and it is gone only when the cgroup is empty: helpers it forked go with it.
 */
export function containedDaemon(port: CgroupPort | undefined, started: Supervised | PendingSpawn | Failed): Supervised | PendingSpawn | Failed {
  if (port === undefined || 'error' in started) return started;
  if ('pending' in started) return { pending: started.pending.then((r) => ('error' in r ? r : wrapDaemon(port, r))), cancel: started.cancel };
  return wrapDaemon(port, started);
}

function wrapDaemon(port: CgroupPort, sup: Supervised): Supervised {
  const cg = port.daemonCgroup(sup.pid);
  if (cg === null) return sup;
  return overriding(sup, {
    // Once to each process: the daemon is in its cgroup, and a second TERM or INT means "hurry" to many
    // programs. An empty cgroup leaves it to the pid's own checks (the daemon is gone).
    signal: (sig) => {
      if (cg.alive()) cg.signal(sig);
      else sup.signal(sig);
    },
    alive: () => sup.alive() || cg.alive(),
  });
}
