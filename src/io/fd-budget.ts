// Descriptors kept free for the emperor's own sockets: near its open-file limit, a spawn is refused with a
// clear error (and backs off) before it can take the last descriptors, so the stats and control sockets
// can still accept a connection and say what is wrong. Counting is skipped while far from the limit.
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { failed, type Failed } from '../core/errors.ts';
import type { SpawnRequest, Spawner } from './spawner.ts';

/** Descriptors left free for accepting on the stats, control and metrics sockets. */
export const FD_RESERVE = 16;
/** At most this many descriptors a spawn comes to hold in the emperor (its output pair, its pidfd, the /proc and cgroup files sampling keeps open). */
const PER_SPAWN = 6;
/** The limit is read again at least once in this many spawns. */
const LIMIT_EVERY = 64;

/** What the budget reads: the open descriptors and the soft limit (tests pass their own). */
export interface FdFacts {
  open(): number;
  limit(): number | null;
}

/** The emperor's own descriptors, from /proc/self. */
export const procFdFacts: FdFacts = {
  open: () => readdirSync('/proc/self/fd').length,
  limit: () => {
    const m = /^Max open files\s+(\S+)/m.exec(readLimits());
    return m === null || m[1] === 'unlimited' ? null : Number(m[1]);
  },
};

// /proc/self/limits (about 1.3 KB) read at every spawn: one open, one read into a kept buffer, one close
// (readFileSync also stats, reads to the end and allocates, which showed on the respawn path).
const limitsBuf = Buffer.alloc(4096);
function readLimits(): string {
  let fd: number;
  try {
    fd = openSync('/proc/self/limits', 'r');
  } catch {
    return '';
  }
  try {
    return limitsBuf.toString('latin1', 0, readSync(fd, limitsBuf, 0, limitsBuf.length, 0));
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/** Whether a spawn may take descriptors now; counts only when the last count was near the limit. */
export class FdBudget {
  private open = 0;
  private limit: number | null = null;
  /** spawns since the last count (each may hold PER_SPAWN more). */
  private since = Infinity;

  constructor(private readonly facts: FdFacts = procFdFacts) {}

  /** null when a spawn may go ahead; else why not (the figures and the fix). */
  refusal(): string | null {
    // prlimit can change the limit under a running emperor: it is read again after a refusal, before a
    // count and every LIMIT_EVERY spawns (a read of /proc/self/limits at every spawn cost more than the spawn's JS).
    if (this.since === Infinity || this.since % LIMIT_EVERY === 0 || this.nearLimit()) this.limit = this.facts.limit();
    if (this.limit === null) return null;
    if (this.since === Infinity || this.nearLimit()) {
      this.open = this.facts.open();
      this.since = 0;
    }
    this.since++;
    if (this.open + PER_SPAWN + FD_RESERVE <= this.limit) return null;
    this.since = Infinity;
    return `the emperor has ${this.open} of its ${this.limit} file descriptors open and keeps ${FD_RESERVE} free for its sockets: raise its limit (LimitNOFILE= in its unit, ulimit -n), or run fewer vassals`;
  }

  // Whether the next spawn could reach the reserve on the last count.
  private nearLimit(): boolean {
    return this.limit !== null && this.open + (this.since + 1) * PER_SPAWN + FD_RESERVE > this.limit;
  }
}

const refused = (req: SpawnRequest, why: string): Failed => failed('E_FD_LIMIT', `cannot start ${req.program ?? req.argv[0] ?? ''}: ${why}`);

/** `inner` with spawns refused (E_FD_LIMIT) while the emperor is within its reserve of the limit. */
export function budgetedSpawner(inner: Spawner, budget: FdBudget = new FdBudget()): Spawner {
  const later = inner.spawnLater?.bind(inner);
  return {
    // What the spawner does itself (entering cgroups, spawning off the main thread) stays as it is.
    ...(inner.cgroups === undefined ? {} : { cgroups: inner.cgroups }),
    ...(later === undefined
      ? {}
      : {
          spawnLater: (req: SpawnRequest) => {
            const why = budget.refusal();
            return why === null ? later(req) : Promise.resolve(refused(req, why));
          },
        }),
    spawn: (req) => {
      const why = budget.refusal();
      return why === null ? inner.spawn(req) : refused(req, why);
    },
    // A log file's pair is made just before its spawn, which the budget then judges.
    outputPair: () => inner.outputPair(),
  };
}
