// One spawn's cgroup leaf as the runtime holds it, and the rule for handing an empty leaf on to the
// respawn of the same instance: no rmdir and no mkdir between a crash and its replacement (both take the
// kernel's cgroup_mutex, which every cgroup change on the machine shares).
import { cgroupOomKills, populated, removeCgroup, signalCgroup } from './cgroup-fs.ts';
import { oomMessage, type CgroupLimits } from '../core/cgroup-layout.ts';

/** One spawn's cgroup: signal all of it, know when it is empty, and remove it then. */
export interface InstanceCgroup {
  readonly dir: string;
  /** every process of the cgroup; SIGKILL is cgroup.kill. */
  signal(sig: string): void;
  /** true while a process (zombies aside) is in it; removes the cgroup once it is empty. */
  alive(): boolean;
  /** why the kernel killed it, when its OOM killer did; null otherwise. */
  oomKilled(): string | null;
  /**
   * Runs `during` (the handling of its leader's exit) with the leaf kept once found empty, so that a
   * respawn of the same instance made meanwhile runs in it; removed afterwards when nothing took it.
   */
  keepWhile(during: () => void): void;
}

/** What a leaf tells its tree: it is empty and kept for a respawn, or gone. */
export interface LeafOwner {
  /** the memory controller is on for the leaves: memory.events exists and counts OOM kills. */
  readonly oomCounted: boolean;
  park(leaf: CgroupLeaf): void;
  unpark(leaf: CgroupLeaf): boolean;
  removed(dir: string): void;
}

// The key of a leaf without limits.
const NO_LIMITS = 'null/null/null';

/** The limits a leaf was made with, as one comparable key (a leaf is reused only under the same limits). */
export function limitsKey(l: CgroupLimits): string {
  // The key of no limit, as most leaves have, is one shared string (a built one is 32 bytes a leaf).
  if (l.memoryMax === null && l.cpuWeight === null && l.pidsMax === null) return NO_LIMITS;
  return `${l.memoryMax}/${l.cpuWeight}/${l.pidsMax}`;
}

/**
 * A leaf's handle. Reuse makes a new handle for the same directory and retires the old one: what the
 * ended process's handle is asked afterwards (a late poll) answers "gone", never about the new process.
 */
export class CgroupLeaf implements InstanceCgroup {
  private keeping = false;
  private retired = false;
  // A signal went to the leaf (a stop, or the kill of what the leader left): never handed to a respawn, which
  // the kill's end could still reach; the respawn gets a fresh leaf.
  private signalled = false;
  /** the OOM kills counted at the last look (memory.events counts since the leaf was made). */
  oomSeen: number;

  constructor(
    readonly dir: string,
    /** vassal name and instance: the respawn that may take this leaf. */
    readonly key: string,
    readonly limits: string,
    private readonly memoryMax: number | null,
    /** OOM kills of earlier spawns in this leaf (not this one's). */
    private readonly oomBase: number,
    private readonly owner: LeafOwner,
    /** plain vassals' leaves may be reused; a daemon's never (it is found again from its pid). */
    readonly reusable: boolean,
  ) {
    this.oomSeen = oomBase;
  }

  signal(sig: string): void {
    if (this.retired) return;
    this.signalled = true;
    signalCgroup(this.dir, sig as NodeJS.Signals);
  }

  alive(): boolean {
    if (this.retired) return false;
    if (populated(this.dir)) return true;
    if (this.keeping && this.reusable && !this.signalled) this.owner.park(this);
    else this.remove();
    return false;
  }

  oomKilled(): string | null {
    // Without the memory controller there is no memory.events to read (and no memory-max to hit).
    if (this.retired || !this.owner.oomCounted) return null;
    this.oomSeen = cgroupOomKills(this.dir);
    return this.oomSeen > this.oomBase ? oomMessage(this.memoryMax) : null;
  }

  keepWhile(during: () => void): void {
    this.keeping = true;
    try {
      during();
    } finally {
      this.keeping = false;
      // Not taken by a respawn: removed now, as alive() would have done.
      if (this.owner.unpark(this)) this.alive();
    }
  }

  /** Taken by a respawn: this handle answers for an ended process from now on. */
  retire(): void {
    this.retired = true;
  }

  private remove(): void {
    if (removeCgroup(this.dir)) this.owner.removed(this.dir);
  }
}
