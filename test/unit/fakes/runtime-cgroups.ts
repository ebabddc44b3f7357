// A cgroup port with no cgroupfs: each spawn's cgroup is a record of what was made, bound and signalled,
// and whether a process is in it is the test's to say.
import type { CgroupFigures, CgroupPort, SpawnCgroup, SpawnCgroupLimits } from '../../../src/runtime/emperor-ports.ts';

/** One fake cgroup: its signals, and `populated` (the test empties it). */
export interface FakeCgroup extends SpawnCgroup {
  readonly limits: SpawnCgroupLimits;
  readonly signals: string[];
  populated: boolean;
  oom: string | null;
  /** how many times alive() was asked (a failed spawn asks once, to remove its empty cgroup). */
  checks: number;
  /** true while an exit is handled with the cgroup kept for a respawn (keepWhile). */
  keeping: boolean;
}

/** The fake port: `failWith` makes the next make fail; `figures` are what overlay reads per bound pid. */
export class FakeCgroups implements CgroupPort {
  readonly made: FakeCgroup[] = [];
  readonly bound = new Map<number, FakeCgroup>();
  readonly daemons = new Map<number, FakeCgroup>();
  readonly figures = new Map<number, Partial<CgroupFigures>>();
  failWith: string | null = null;
  private seq = 0;

  make(name: string, index: number, daemon: boolean, limits: SpawnCgroupLimits): SpawnCgroup | { error: string } {
    if (this.failWith !== null) return { error: this.failWith };
    const signals: string[] = [];
    const cg: FakeCgroup = {
      dir: `/sys/fs/cgroup/emperor-test/${daemon ? 'daemons' : 'vassals'}/${name}@${index}.${++this.seq}`,
      limits: { memoryMax: limits.memoryMax, cpuWeight: limits.cpuWeight, pidsMax: limits.pidsMax },
      signals,
      populated: true,
      oom: null,
      checks: 0,
      keeping: false,
      signal: (sig) => void signals.push(sig),
      alive: () => (cg.checks++, cg.populated),
      oomKilled: () => cg.oom,
      keepWhile: (during) => {
        cg.keeping = true;
        try {
          during();
        } finally {
          cg.keeping = false;
        }
      },
    };
    this.made.push(cg);
    return cg;
  }

  bind(pid: number, cgroup: SpawnCgroup): void {
    this.bound.set(pid, cgroup as FakeCgroup);
  }

  daemonCgroup(pid: number): Pick<SpawnCgroup, 'dir' | 'signal' | 'alive'> | null {
    return this.daemons.get(pid) ?? null;
  }

  overlay<T extends CgroupFigures>(usage: Map<number, T>, _now: number): Map<number, T> {
    for (const [pid, u] of usage) {
      const f = this.bound.has(pid) ? this.figures.get(pid) : undefined;
      if (f !== undefined) Object.assign(u, f);
    }
    return usage;
  }
}
