// How the emperor contains its vassals, as `emperorctl status` says it: told by the emperor's own cgroup,
// since the stats document's keys are fixed. emperorctl loads only its own files, so the rule is here.
import { readFileSync } from 'node:fs';

/** A cgroup per vassal instance, or process groups. */
export type ContainmentKind = 'cgroup' | 'process-group';

/**
 * With containment on, the emperor sits in the `supervisor` leaf of its `emperor-HASH` subtree
 * (src/core/cgroup-layout.ts: subtreeName, LEAF), and nowhere like it otherwise. `text` is /proc/PID/cgroup.
 */
export function containmentOfCgroupFile(text: string): ContainmentKind {
  const own = text.split('\n').find((l) => l.startsWith('0::'));
  return own !== undefined && /\/emperor-[0-9a-f]{12}\/supervisor$/.test(own.slice(3).trim()) ? 'cgroup' : 'process-group';
}

/** The containment of the emperor with pid `pid`; null when its /proc entry cannot be read (another pid namespace). */
export function emperorContainment(pid: number): ContainmentKind | null {
  try {
    return containmentOfCgroupFile(readFileSync(`/proc/${pid}/cgroup`, 'latin1'));
  } catch {
    return null;
  }
}
