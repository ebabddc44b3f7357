// An emperor's cgroup subtree once set up: a cgroup per spawn, entered before exec, and what is known of each.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseProcCgroup } from '../core/cgroup-facts.ts';
import { instanceCgroupName, limitWrites, oomMessage, shimArgv, CGROUP_SHIM, DAEMONS, VASSALS, type CgroupLimits } from '../core/cgroup-layout.ts';
import { CgroupUsage, type UsageFigures } from './cgroup-usage.ts';
import { cgroupOomKills, killCgroup, makeLeafCgroup, populated, removeCgroup, signalCgroup, writeCgroupFile } from './cgroup-fs.ts';

/** The exec shim that enters a cgroup (kept in core/cgroup-layout.ts, where the spawn plan takes it from). */
export { CGROUP_SHIM };

/** How long a spawn's cgroup may wait for its process before a sweep takes it for a failed spawn. */
export const UNBOUND_GRACE_MS = 5000;

/** One spawn's cgroup: signal all of it, know when it is empty, and remove it then. */
export interface InstanceCgroup {
  readonly dir: string;
  /** every process of the cgroup; SIGKILL is cgroup.kill. */
  signal(sig: string): void;
  /** true while a process (zombies aside) is in it; removes the cgroup once it is empty. */
  alive(): boolean;
  /** why the kernel killed it, when its OOM killer did; null otherwise. */
  oomKilled(): string | null;
}

/** An emperor's subtree: `supervisor/` (the emperor), `vassals/`, `daemons/`. */
export class CgroupTree {
  private seq = 0;
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
    return this.handle(dir, limits.memoryMax);
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

  private handle(dir: string, memoryMax: number | null): InstanceCgroup {
    const forget = (): void => {
      for (const [pid, d] of this.byPid) if (d === dir) this.byPid.delete(pid);
    };
    return {
      dir,
      signal: (sig) => void signalCgroup(dir, sig as NodeJS.Signals),
      alive: () => {
        if (populated(dir)) return true;
        if (removeCgroup(dir)) forget();
        return false;
      },
      oomKilled: () => (cgroupOomKills(dir) > 0 ? oomMessage(memoryMax) : null),
    };
  }
}
