// Containment at start: the cgroup v2 subtree (or process groups, and why, said once), its guardian, and what
// a dead emperor left behind in it; the start line and a metric say which is on.
import type { CgroupChoice } from '../core/cgroup-layout.ts';
import { reapLeftovers, setupCgroups } from '../io/cgroup-setup.ts';
import { CgroupGuardian } from '../io/cgroup-guardian.ts';
import type { CgroupTree } from '../io/cgroup-tree.ts';

/** What the emperor runs with: a tree for the vassals, or null (process groups). */
export interface Containment {
  tree: CgroupTree | null;
  /** a clean shutdown: the guardian tidies the empty cgroups once the emperor is gone. */
  close(): void;
}

/** Sets up containment; an error message stops the start (a `--cgroup DIR` that cannot be used). */
export async function startContainment(choice: CgroupChoice, stateDir: string, log: { info(m: string): void; warn(m: string): void }): Promise<Containment | { error: string }> {
  const setup = setupCgroups(choice, stateDir, (m) => log.warn(m));
  if (setup.kind === 'error') return { error: setup.message };
  if (setup.kind === 'off') {
    log.info(`containment: process groups (${setup.reason}); a process that leaves its group (setsid, double fork) escapes`);
    return { tree: null, close: () => {} };
  }
  const tree = setup.tree;
  const guardian = new CgroupGuardian(tree.base, setup.parent, (m) => log.warn(m));
  guardian.start();
  const killed = await reapLeftovers(tree);
  if (killed.length > 0) log.warn(`killed what a previous emperor left running in ${tree.vassalsDir}: ${killed.join(', ')}`);
  const controllers = tree.controllers.size > 0 ? [...tree.controllers].join(', ') : 'no controllers (memory-max, cpu-weight, pids-max not applied)';
  log.info(`containment: a cgroup per vassal under ${tree.base} (${controllers})`);
  return { tree, close: () => guardian.close() };
}
