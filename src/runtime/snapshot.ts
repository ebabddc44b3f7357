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

// The order of localeCompare in the default locale, from one collator (localeCompare makes one per call).
const byName = new Intl.Collator().compare;

/** `passing` when every live instance passed its last probe, `failing` when one failed, else `unknown`; null without a check. */
export function healthOf(v: Vassal): VassalStats['health'] {
  if ((v.spec?.healthCheck ?? null) === null) return null;
  const live = v.instances.filter((r) => r.state.pid !== null);
  if (live.length === 0) return 'unknown';
  if (live.some((r) => r.state.healthFailures > 0)) return 'failing';
  return live.every((r) => r.state.healthPassed) ? 'passing' : 'unknown';
}

/** Describes one vassal (one pass over its runners: a thousand vassals are described per stats request). */
export function vassalStats(v: Vassal, clock: Clock): VassalStats {
  const runners = v.instances;
  const instances: VassalStats['instances'] = [];
  let lastExit: VassalStats['last_exit'] = null;
  let backoff: number | null = null;
  let started: number | null = null;
  let restarts = 0;
  let watchdog = 0;
  let statusText: string | null = null;
  for (const r of runners) {
    const st = r.state;
    instances.push({ index: r.index, pid: st.pid, state: st.state, started_at: st.spawnedAt === null ? null : round(clock.unixSeconds(st.spawnedAt)), restarts: st.restarts });
    const e = st.lastExit;
    if (e !== null && (lastExit === null || clock.unixSeconds(e.at) > lastExit.at)) lastExit = { code: e.code, signal: e.signal, at: round(clock.unixSeconds(e.at)) };
    if (st.backoffUntil !== null) backoff = Math.min(backoff ?? Infinity, round(clock.unixSeconds(st.backoffUntil)));
    if (st.pid !== null && st.spawnedAt !== null) started = Math.min(started ?? Infinity, round(clock.unixSeconds(st.spawnedAt)));
    restarts += st.restarts;
    watchdog += st.watchdogFires;
    if (statusText === null && st.statusText !== null) statusText = st.statusText;
  }
  // The pids and the last sample of every instance, retiring ones too; usage null before the first sample.
  const pids: number[] = [];
  let cpu: number | null = null;
  let rss: number | null = null;
  for (const r of v.allRunners()) {
    if (r.state.pid !== null) pids.push(r.state.pid);
    if (r.usage === null) continue;
    rss = (rss ?? 0) + r.usage.rssBytes;
    if (r.usage.cpuPercent !== null) cpu = (cpu ?? 0) + r.usage.cpuPercent;
  }
  return {
    name: v.name,
    file: v.fileStatus.file,
    dialect: v.spec?.dialect ?? v.fileStatus.dialect ?? null,
    state: v.state,
    pids,
    started_at: started,
    restarts,
    last_exit: lastExit,
    next_run: null,
    backoff_until: backoff,
    cpu_percent: cpu === null ? null : Math.round(cpu * 100) / 100,
    rss_bytes: rss,
    health: healthOf(v),
    error: v.error,
    status_text: statusText,
    watchdog_restarts: watchdog,
    instances,
  };
}

/** The whole stats document. */
export function snapshot(facts: EmperorFacts, vassals: Iterable<Vassal>, clock: Clock): StatsDocument {
  const list = [...vassals].map((v) => vassalStats(v, clock)).sort((a, b) => byName(a.name, b.name));
  const totals: Record<string, number> = { vassals: list.length };
  for (const s of VASSAL_STATES) totals[s] = 0;
  for (const v of list) totals[v.state] = (totals[v.state] ?? 0) + 1;
  return { version: facts.version, pid: facts.pid, started_at: facts.startedAt, vassals_dir: facts.vassalsDir, totals, vassals: list, ...(facts.sources ? { sources: facts.sources() } : {}) };
}
