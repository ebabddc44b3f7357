// A plain child kept in its own cgroup: stopping signals every process of the cgroup (SIGKILL is cgroup.kill),
// and it is gone when the cgroup is empty, not when its leader exits; a setsid or double-forked child goes with it.
import type { SpawnRequest } from '../io/spawner.ts';
import { explainUnrunnable } from '../io/spawner.ts';
import type { CgroupTree, InstanceCgroup } from '../io/cgroup-tree.ts';
import type { CgroupLimits } from '../core/cgroup-layout.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import { populated, signalCgroup } from '../io/cgroup-fs.ts';

/** The containment a spawn uses: the tree, or null for process groups (`--cgroup off`, no cgroup v2). */
export type Containment = CgroupTree | null;

/**
 * Puts a request into a fresh cgroup of the tree (the last wrapper: call after `runAs`); null without
 * containment. The shim would turn a missing command into exit 127: that is explained before the spawn.
 */
export function containRequest(tree: Containment, req: SpawnRequest, name: string, index: number, daemon: boolean, limits: CgroupLimits, plainArgv0: string): InstanceCgroup | { error: string } | null {
  if (tree === null) return null;
  if (plainArgv0.includes('/') || req.env.PATH !== undefined) {
    const why = explainUnrunnable(plainArgv0, req.cwd, req.env.PATH);
    if (why !== null) return { error: why };
  }
  const entered = tree.enter(req.argv, name, index, daemon, limits);
  if ('error' in entered) return entered;
  req.argv = entered.argv;
  return entered.cgroup;
}

/** `sup` watched through its cgroup when it has one (the spawn site's one call); as it is otherwise. */
export function contained(s: { cgroups?: CgroupTree | null; events: { write(e: { level: 'warn'; vassal: string; instance: number; message: string }): void } }, cg: InstanceCgroup | null, sup: Supervised, name: string, index: number): Supervised {
  const tree = s.cgroups ?? null;
  if (tree === null || cg === null) return sup;
  return containedBy(tree, cg, sup, (message) => s.events.write({ level: 'warn', vassal: name, instance: index, message }));
}

/** Watches `sup` through its cgroup; `note` says when the kernel's OOM killer ended it. */
export function containedBy(tree: CgroupTree, cg: InstanceCgroup, sup: Supervised, note: (message: string) => void): Supervised {
  tree.bind(sup.pid, cg);
  return {
    ...sup,
    signal: (sig) => cg.signal(sig),
    alive: () => cg.alive(),
    onExit: (listener) =>
      sup.onExit((code, signal) => {
        const oom = cg.oomKilled();
        if (oom !== null) note(oom);
        listener(code, signal);
      }),
  };
}

/**
 * A smart-attached daemon watched through its cgroup too (the spawn site's one call): the cgroup is
 * read from /proc/PID/cgroup, so an adopted daemon is found in the cgroup it was started in. Signals
 * reach every process of it, and it is gone only when the cgroup is empty: helpers it forked go with it.
 */
export function containedDaemon(s: { cgroups?: CgroupTree | null }, started: Supervised | PendingSpawn | { error: string }): Supervised | PendingSpawn | { error: string } {
  const tree = s.cgroups ?? null;
  if (tree === null || 'error' in started) return started;
  if ('pending' in started) return { pending: started.pending.then((r) => ('error' in r ? r : wrapDaemon(tree, r))), cancel: started.cancel };
  return wrapDaemon(tree, started);
}

function wrapDaemon(tree: CgroupTree, sup: Supervised): Supervised {
  const dir = tree.daemonCgroupOf(sup.pid);
  if (dir === null) return sup;
  return {
    ...sup,
    signal: (sig) => {
      sup.signal(sig);
      signalCgroup(dir, sig as NodeJS.Signals);
    },
    alive: () => sup.alive() || populated(dir),
  };
}
