// The sampling tick: one timer for the whole fleet. Each tick reads the subtree's CPU counter first; while it
// stands since a read that left every figure final (src/core/fleet-quiet.ts says why that is sound), the tick
// reads nothing and allocates nothing, so an idle fleet costs one pread per cgroup counter per tick.
import { FRESH_QUIET, quietStep, type FleetQuiet, type QuietAction } from '../core/fleet-quiet.ts';
import { sampleFleet } from './emperor-services.ts';
import type { CgroupPort, SamplerPort, SubtreeCpuPort } from './emperor-ports.ts';
import type { Vassal } from './vassal.ts';

/** Samples the fleet at each tick, or skips the tick when nothing in it ran. */
export class FleetSampling {
  private gate: FleetQuiet = FRESH_QUIET;
  /** whether a group's leader is in the subtree, asked once per group (forgotten at the first read after it ended). */
  private readonly held = new Map<number, boolean>();
  private readonly holds = (pgid: number): boolean => this.isHeld(pgid);

  constructor(
    private readonly sampler: SamplerPort,
    private readonly cgroups?: CgroupPort,
    private readonly subtree?: SubtreeCpuPort,
  ) {}

  /** The gate's phase, for tests and the debug view. */
  get phase(): FleetQuiet['phase'] {
    return this.gate.phase;
  }

  /** One tick at monotonic `now`: what it did. */
  tick(vassals: ReadonlyMap<string, Vassal>, now: number): QuietAction {
    const t = quietStep(this.gate, { type: 'tick', usec: this.subtree?.usageUsec() ?? null });
    this.gate = t.state;
    if (t.action === 'skip') return t.action;
    const found = sampleFleet(vassals.values(), this.sampler, now, this.cgroups, t.action === 'read-all', this.subtree === undefined ? undefined : this.holds);
    this.gate = quietStep(this.gate, { type: 'read', busy: found.busy, uncovered: found.uncovered, complete: found.complete }).state;
    if (this.held.size > found.groups) this.prune(vassals);
    return t.action;
  }

  /** Closes what the tick keeps open. */
  close(): void {
    this.sampler.close();
    this.subtree?.close();
  }

  private isHeld(pgid: number): boolean {
    let h = this.held.get(pgid);
    if (h === undefined) {
      h = this.subtree?.holds(pgid) ?? false;
      this.held.set(pgid, h);
    }
    return h;
  }

  // Forgets the answers for groups that are gone (a pid used again is asked again).
  private prune(vassals: ReadonlyMap<string, Vassal>): void {
    const live = new Set<number>();
    for (const v of vassals.values()) for (const r of v.allRunners()) if (r.pgid !== null) live.add(r.pgid);
    for (const pgid of this.held.keys()) if (!live.has(pgid)) this.held.delete(pgid);
  }
}
