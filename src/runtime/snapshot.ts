// The one picture of the fleet that every view renders: stats socket, emperorctl status, metrics.
import type { SourceStats, StatsDocument, VassalStats } from '../control/protocol.ts';
import { VASSAL_STATES } from '../core/states.ts';
import type { Clock } from './clock.ts';
import type { Vassal } from './vassal.ts';

/** Facts about the emperor itself that the snapshot shows. */
export interface EmperorFacts {
  version: string;
  pid: number;
  startedAt: number;
  vassalsDir: string | null;
  /** each source's health (src/runtime/emperor-ports.ts). */
  sources?: () => SourceStats[];
}

const round = (t: number): number => Math.round(t * 1000) / 1000;

// Sums the last sample of every instance; null before the first sample.
function usageOf(v: Vassal): { cpu_percent: number | null; rss_bytes: number | null } {
  let cpu: number | null = null;
  let rss: number | null = null;
  for (const r of v.allRunners()) {
    if (r.usage === null) continue;
    rss = (rss ?? 0) + r.usage.rssBytes;
    if (r.usage.cpuPercent !== null) cpu = (cpu ?? 0) + r.usage.cpuPercent;
  }
  return { cpu_percent: cpu === null ? null : Math.round(cpu * 100) / 100, rss_bytes: rss };
}

/** `passing` when every live instance passed its last probe, `failing` when one failed, else `unknown`; null without a check. */
export function healthOf(v: Vassal): VassalStats['health'] {
  if ((v.spec?.healthCheck ?? null) === null) return null;
  const live = v.instances.filter((r) => r.state.pid !== null);
  if (live.length === 0) return 'unknown';
  if (live.some((r) => r.state.healthFailures > 0)) return 'failing';
  return live.every((r) => r.state.healthPassed) ? 'passing' : 'unknown';
}

/** Describes one vassal. */
export function vassalStats(v: Vassal, clock: Clock): VassalStats {
  const wall = (m: number | null): number | null => (m === null ? null : round(clock.unixSeconds(m)));
  const runners = v.instances;
  const instances = runners.map((r) => ({
    index: r.index,
    pid: r.state.pid,
    state: r.state.state,
    started_at: wall(r.state.spawnedAt),
    restarts: r.state.restarts,
  }));
  const pids = v.allRunners().flatMap((r) => (r.state.pid === null ? [] : [r.state.pid]));
  let lastExit: VassalStats['last_exit'] = null;
  let backoff: number | null = null;
  let started: number | null = null;
  for (const r of runners) {
    const e = r.state.lastExit;
    if (e !== null && (lastExit === null || clock.unixSeconds(e.at) > lastExit.at)) lastExit = { code: e.code, signal: e.signal, at: round(clock.unixSeconds(e.at)) };
    if (r.state.backoffUntil !== null) backoff = Math.min(backoff ?? Infinity, round(clock.unixSeconds(r.state.backoffUntil)));
    if (r.state.pid !== null && r.state.spawnedAt !== null) started = Math.min(started ?? Infinity, round(clock.unixSeconds(r.state.spawnedAt)));
  }
  return {
    name: v.name,
    file: v.fileStatus.file,
    dialect: v.spec?.dialect ?? v.fileStatus.dialect ?? null,
    state: v.state,
    pids,
    started_at: started,
    restarts: runners.reduce((n, r) => n + r.state.restarts, 0),
    last_exit: lastExit,
    next_run: null,
    backoff_until: backoff,
    ...usageOf(v),
    health: healthOf(v),
    error: v.error,
    status_text: runners.find((r) => r.state.statusText !== null)?.state.statusText ?? null,
    watchdog_restarts: runners.reduce((n, r) => n + r.state.watchdogFires, 0),
    instances,
  };
}

/** The whole stats document. */
export function snapshot(facts: EmperorFacts, vassals: Iterable<Vassal>, clock: Clock): StatsDocument {
  const list = [...vassals].map((v) => vassalStats(v, clock)).sort((a, b) => a.name.localeCompare(b.name));
  const totals: Record<string, number> = { vassals: list.length };
  for (const s of VASSAL_STATES) totals[s] = 0;
  for (const v of list) totals[v.state] = (totals[v.state] ?? 0) + 1;
  return { version: facts.version, pid: facts.pid, started_at: facts.startedAt, vassals_dir: facts.vassalsDir, totals, vassals: list, ...(facts.sources ? { sources: facts.sources() } : {}) };
}
