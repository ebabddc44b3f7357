// Finds the cgroup v2 subtree an emperor may use, moves the emperor into a leaf of it, and clears what a dead
// emperor left there. Containment is on wherever it can be; where it cannot, process groups as before.
import { accessSync, constants, readFileSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import {
  cgroupDirectory,
  parseCgroup2Mounts,
  parseControllers,
  parseProcCgroup,
} from '../core/cgroup-facts.ts';
import { cgroupProblem, controllersToEnable, subtreeName, subtreeParent, DAEMONS, LEAF, VASSALS, type CgroupChoice, type CgroupProbe } from '../core/cgroup-layout.ts';
import { childCgroups, killCgroup, makeCgroup, moveInto, populated, readCgroupFile, removeCgroup, waitEmpty, writeCgroupFile } from './cgroup-fs.ts';
import { CgroupTree } from './cgroup-tree.ts';

/** The outcome: a subtree, process groups (and why, said once at start), or an error that stops the start. */
export type CgroupSetup = { kind: 'on'; tree: CgroupTree; parent: string } | { kind: 'off'; reason: string } | { kind: 'error'; message: string };

/** What setup reads from the system; injected so tests can point it elsewhere. */
export interface CgroupSystem {
  mountinfo(): string;
  procSelfCgroup(): string;
  pid: number;
  root: boolean;
}

/** The real system. */
export const realCgroupSystem: CgroupSystem = {
  mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
  procSelfCgroup: () => readFileSync('/proc/self/cgroup', 'utf8'),
  pid: process.pid,
  root: process.geteuid?.() === 0,
};

/** statfs(2)'s f_type of a cgroup2 filesystem. */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** Looks at a directory as a home for the subtree. */
export function probeCgroupDir(dir: string): CgroupProbe {
  let exists = false;
  try {
    exists = statSync(dir).isDirectory();
  } catch {
    // absent
  }
  let cgroup2 = false;
  try {
    cgroup2 = exists && statfsSync(dir).type === CGROUP2_SUPER_MAGIC;
  } catch {
    // not there
  }
  const can = (path: string): boolean => {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  return { exists, cgroup2, writable: cgroup2 && can(dir), procsWritable: cgroup2 && can(join(dir, 'cgroup.procs')) };
}

/** The emperor's own cgroup v2 directory, or why there is none. */
export function ownCgroupDir(sys: CgroupSystem): { dir: string; path: string } | { missing: string } {
  const path = parseProcCgroup(sys.procSelfCgroup());
  if (path === null) return { missing: 'no cgroup v2 hierarchy (cgroup v1 only)' };
  const mount = parseCgroup2Mounts(sys.mountinfo())[0];
  if (mount === undefined) return { missing: 'cgroup2 is not mounted' };
  const dir = cgroupDirectory(mount, path);
  if (dir === null) return { missing: `the emperor's cgroup ${path} is not visible under ${mount.mountPoint}` };
  return { dir, path };
}

/**
 * Sets up the subtree for an emperor with state directory `stateDir`: `--cgroup off` keeps process
 * groups; `--cgroup DIR` must work (an error otherwise); by default the emperor's own cgroup is used
 * when it can be, and process groups otherwise, with the reason.
 */
export function setupCgroups(choice: CgroupChoice, stateDir: string, warn: (m: string) => void, sys: CgroupSystem = realCgroupSystem): CgroupSetup {
  if (choice.kind === 'off') return { kind: 'off', reason: '--cgroup off' };
  const name = subtreeName(stateDir);
  let parent: string;
  if (choice.kind === 'dir') {
    const problem = cgroupProblem(choice.dir, probeCgroupDir(choice.dir), 'option');
    if (problem !== null) return { kind: 'error', message: problem };
    parent = choice.dir;
  } else {
    if (!sys.root) return { kind: 'off', reason: 'not root (no rights to create cgroups)' };
    const own = ownCgroupDir(sys);
    if ('missing' in own) return { kind: 'off', reason: own.missing };
    const mount = parseCgroup2Mounts(sys.mountinfo())[0];
    const ownParent = subtreeParent(own.path, name);
    parent = mount === undefined ? own.dir : (cgroupDirectory(mount, ownParent) ?? own.dir);
    const problem = cgroupProblem(parent, probeCgroupDir(parent), 'own');
    if (problem !== null) return { kind: 'off', reason: problem };
  }
  const base = join(parent, name);
  for (const dir of [base, join(base, LEAF), join(base, VASSALS), join(base, DAEMONS)]) {
    const failed = makeCgroup(dir);
    if (failed !== null) return choice.kind === 'dir' ? { kind: 'error', message: `--cgroup ${choice.dir}: ${failed}` } : { kind: 'off', reason: failed };
  }
  const moved = moveInto(join(base, LEAF), sys.pid);
  if (moved !== null) {
    const why = `cannot move the emperor into ${join(base, LEAF)} (${moved}): not delegated`;
    return choice.kind === 'dir' ? { kind: 'error', message: `--cgroup ${choice.dir}: ${why}` } : { kind: 'off', reason: why };
  }
  return { kind: 'on', tree: new CgroupTree(base, enableControllers(parent, base, choice.kind === 'dir', warn), warn), parent };
}

// Controllers flow down only through subtree_control: enable what the parent offers, level by level. The
// emperor's own cgroup is left as it is (under systemd, a unit cgroup with controllers enabled for its
// children could no longer take the next emperor's process); a `--cgroup DIR` is the operator's to use.
function enableControllers(parent: string, base: string, own: boolean, warn: (m: string) => void): Set<string> {
  const offered = own ? 'cgroup.controllers' : 'cgroup.subtree_control';
  const wanted = controllersToEnable(parseControllers(readCgroupFile(parent, offered) ?? ''));
  const enabled = new Set<string>();
  if (wanted.length === 0) return enabled;
  const plus = wanted.map((c) => `+${c}`).join(' ');
  // The parent may hold other processes (no-internal-process rule): then only what it already passes down.
  if (own) writeCgroupFile(parent, 'cgroup.subtree_control', plus);
  for (const dir of [base, join(base, VASSALS), join(base, DAEMONS)]) {
    const failed = writeCgroupFile(dir, 'cgroup.subtree_control', plus);
    if (failed !== null && dir === base) warn(`cgroup controllers ${wanted.join(', ')} not enabled: ${failed}`);
  }
  for (const c of parseControllers(readCgroupFile(join(base, VASSALS), 'cgroup.subtree_control') ?? '')) enabled.add(c);
  return enabled;
}

/**
 * Kills what a dead emperor left in the subtree's `vassals/` (its guardian died with it) and removes the
 * empty cgroups; daemons' cgroups are spared, the empty ones removed. Resolves to the cgroups killed.
 */
export async function reapLeftovers(tree: CgroupTree, timeoutMs = 5000): Promise<string[]> {
  const killed: string[] = [];
  for (const child of childCgroups(tree.vassalsDir)) {
    const dir = join(tree.vassalsDir, child);
    if (populated(dir)) {
      killCgroup(dir);
      killed.push(child);
    }
  }
  if (killed.length > 0) await waitEmpty(tree.vassalsDir, timeoutMs);
  for (const child of childCgroups(tree.vassalsDir)) removeCgroup(join(tree.vassalsDir, child));
  for (const child of childCgroups(tree.daemonsDir)) {
    const dir = join(tree.daemonsDir, child);
    if (!populated(dir)) removeCgroup(dir);
  }
  return killed;
}

/**
 * Removes an emperor's subtree once nothing lives in it (tests on temporary state directories; an
 * operator retiring a state directory). False when something still runs there.
 */
export function removeSubtreeIfEmpty(stateDir: string, sys: CgroupSystem = realCgroupSystem): boolean {
  const own = ownCgroupDir(sys);
  if ('missing' in own) return true;
  const base = join(own.dir, subtreeName(stateDir));
  if (populated(base)) return false;
  return removeCgroup(base);
}
