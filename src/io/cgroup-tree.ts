// An emperor's cgroup subtree once set up: a cgroup per spawn, entered before exec, and what is known of each.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseProcCgroup } from '../core/cgroup-facts.ts';
import { instanceCgroupName, limitWrites, shimArgv, CGROUP_SHIM, DAEMONS, VASSALS, type CgroupLimits } from '../core/cgroup-layout.ts';
import { CgroupUsage, type UsageFigures } from './cgroup-usage.ts';
import { killCgroup, makeLeafCgroup, populated, removeCgroup, signalCgroup, writeCgroupFile } from './cgroup-fs.ts';
import { CgroupLeaf, limitsKey, type InstanceCgroup, type LeafOwner } from './cgroup-leaf.ts';

/** One spawn's cgroup (cgroup-leaf.ts). */
export type { InstanceCgroup };

/** The exec shim that enters a cgroup (kept in core/cgroup-layout.ts, where the spawn plan takes it from). */
export { CGROUP_SHIM };

/** How long a spawn's cgroup may wait for its process before a sweep takes it for a failed spawn. */
export const UNBOUND_GRACE_MS = 5000;

/** An emperor's subtree: `supervisor/` (the emperor), `vassals/`, `daemons/`. */
export class CgroupTree implements LeafOwner {
  private seq = 0;
  /** empty leaves kept while their leader's exit is handled, by vassal name and instance: a respawn takes one. */
  private readonly parked = new Map<string, CgroupLeaf>();
  private readonly byPid = new Map<number, string>();
  private readonly warned = new Set<string>();
  /** cgroups made for a spawn and not yet bound to its process, with when they were made. */
  private readonly unbound = new Map<string, number>();
  private readonly usage = new CgroupUsage();

  constructor(
    /** the subtree's directory. */
    readonly base: string,
    /** controllers enabled for the vassals' cgroups (none on a hybrid host). */
    readonly controllers: ReadonlySet<string>,
    private readonly warn: (message: string) => void,
  ) {}

  /** OOM kills are counted (memory.events) only where the memory controller is on. */
  get oomCounted(): boolean {
    return this.controllers.has('memory');
  }

  /** Where plain vassals' cgroups go (the guardian kills it all when the emperor dies). */
  get vassalsDir(): string {
    return join(this.base, VASSALS);
  }

  /** Where daemons' cgroups go (spared: daemons outlive the emperor). */
  get daemonsDir(): string {
    return join(this.base, DAEMONS);
  }

  /** Creates the cgroup of one spawn and prefixes `argv` with the shim that enters it (make, then shimArgv). */
  enter(argv: string[], name: string, index: number, daemon: boolean, limits: CgroupLimits): { argv: string[]; cgroup: InstanceCgroup } | { error: string } {
    const cgroup = this.make(name, index, daemon, limits);
    if ('error' in cgroup) return cgroup;
    return { argv: shimArgv(cgroup.dir, argv), cgroup };
  }

  /**
   * Creates the cgroup of one spawn and writes its limits. A limit whose controller is not enabled is
   * a warning naming the controller, once per vassal.
   */
  make(name: string, index: number, daemon: boolean, limits: CgroupLimits): InstanceCgroup | { error: string } {
    this.sweep();
    const key = `${name}\0${index}`;
    const reused = daemon ? null : this.reuse(key, limits);
    if (reused !== null) return reused;
    // A fresh cgroup, never one an earlier emperor left to a daemon that still runs (the sequence restarts).
    let dir = '';
    let made: string | null = 'exists';
    for (let tries = 0; made === 'exists' && tries < 1000; tries++) {
      dir = join(daemon ? this.daemonsDir : this.vassalsDir, instanceCgroupName(name, index, ++this.seq));
      made = makeLeafCgroup(dir);
    }
    if (made !== null) return { error: `${made} (pass --cgroup off to run without cgroups)` };
    for (const w of limitWrites(limits)) {
      if (!this.controllers.has(w.controller)) {
        const key = `${name}\0${w.key}`;
        if (!this.warned.has(key)) {
          this.warned.add(key);
          this.warn(`${name}: ${w.key} not applied: the ${w.controller} controller is not enabled in ${this.base} (cgroup v2 without it; on a hybrid host it is bound to cgroup v1)`);
        }
        continue;
      }
      const failed = writeCgroupFile(dir, w.file, w.value);
      if (failed !== null) this.warn(`${name}: ${w.key} not applied: ${failed}`);
    }
    this.unbound.set(dir, Date.now());
    return new CgroupLeaf(dir, key, limitsKey(limits), limits.memoryMax, 0, this, !daemon);
  }

  /**
   * The leaf the last process of this instance left empty, if its exit is being handled now and the
   * limits are the same: the respawn runs in it. An empty cgroup can only be entered by a write to its
   * cgroup.procs (the emperor's own), so nothing of the old process is in it; a leaf a leftover process
   * still holds (a grandchild ignoring TERM) is never parked, and the respawn gets a fresh one.
   */
  private reuse(key: string, limits: CgroupLimits): CgroupLeaf | null {
    const old = this.parked.get(key);
    if (old === undefined || old.limits !== limitsKey(limits)) return null;
    this.parked.delete(key);
    old.retire();
    this.removed(old.dir);
    this.unbound.set(old.dir, Date.now());
    return new CgroupLeaf(old.dir, key, old.limits, limits.memoryMax, old.oomSeen, this, true);
  }

  /** An empty leaf waits for a respawn of its instance (only while its exit is handled: keepWhile). */
  park(leaf: CgroupLeaf): void {
    if (!this.parked.has(leaf.key)) this.parked.set(leaf.key, leaf);
  }

  /** The leaf's exit is handled: true when it is still parked (no respawn took it), and no longer so. */
  unpark(leaf: CgroupLeaf): boolean {
    if (this.parked.get(leaf.key) !== leaf) return false;
    this.parked.delete(leaf.key);
    return true;
  }

  /** A leaf was removed (or handed to a respawn): its pids are forgotten. */
  removed(dir: string): void {
    for (const [pid, d] of this.byPid) if (d === dir) this.byPid.delete(pid);
  }

  /**
   * Removes the cgroups of spawns that failed (the fork never happened, EMFILE...): made more than
   * UNBOUND_GRACE_MS ago, never bound to a process, and empty. A daemon's is left while it runs.
   */
  sweep(now = Date.now()): void {
    for (const [dir, at] of this.unbound) {
      if (now - at < UNBOUND_GRACE_MS) continue;
      if (populated(dir)) continue;
      if (removeCgroup(dir)) this.unbound.delete(dir);
    }
  }

  /** Remembers which cgroup a spawned pid leads (for sampling); forgotten when the cgroup is removed. */
  bind(pid: number, cgroup: InstanceCgroup): void {
    this.unbound.delete(cgroup.dir);
    this.byPid.set(pid, cgroup.dir);
    this.usage.follow(cgroup.dir, pid);
  }

  /** The cgroup a supervised pid leads, if it has one. */
  cgroupOf(pid: number): string | null {
    return this.byPid.get(pid) ?? null;
  }

  /** The daemon cgroup of this tree a process is in (an adopted daemon's too), or null. */
  daemonCgroupOf(pid: number): string | null {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/cgroup`, 'latin1');
    } catch {
      return null;
    }
    const path = parseProcCgroup(text);
    const mark = `/${basename(this.base)}/${DAEMONS}/`;
    const at = path === null ? -1 : path.lastIndexOf(mark);
    if (path === null || at < 0) return null;
    const dir = join(dirname(this.base), path.slice(at));
    return dirname(dir) === this.daemonsDir ? dir : null;
  }

  /** A daemon's cgroup (daemonCgroupOf) as a handle: signals reach all of it, alive while a process is in it. */
  daemonCgroup(pid: number): { dir: string; signal(sig: string): void; alive(): boolean } | null {
    const dir = this.daemonCgroupOf(pid);
    if (dir === null) return null;
    return { dir, signal: (sig) => void signalCgroup(dir, sig as NodeJS.Signals), alive: () => populated(dir) };
  }

  /** `usage` (keyed by leading pid) with each contained group's CPU and memory read from its cgroup. */
  overlay<T extends UsageFigures>(usage: Map<number, T>, now: number): Map<number, T> {
    return this.usage.overlay(usage, (pid) => this.cgroupOf(pid), now);
  }

  /** Kills every plain vassal's cgroup at once (the second SIGINT, or a last resort). */
  killAll(): void {
    killCgroup(this.vassalsDir);
  }
}
