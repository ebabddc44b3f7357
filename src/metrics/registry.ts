// Prometheus metrics computed at scrape time from the snapshot, in a registry of our own (never the global one).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { StatsDocument } from '../control/protocol.ts';
import { VASSAL_STATES } from '../core/states.ts';

/** What a scrape reads: the snapshot, plus the CPU-seconds counters the snapshot does not carry. */
export interface MetricsSource {
  snapshot(): StatsDocument;
  cpuSeconds(name: string): number;
  droppedLogBytes(name: string): number;
  /** emperor_alarms_total's rows (none without alarms). */
  alarms?(): ReadonlyArray<{ alarm: string; event: string; result: string; count: number }>;
  /** true when every vassal runs in a cgroup of its own; absent: process groups. */
  contained?(): boolean;
}

/** The registry and the one way to read it: a scrape computes one snapshot for every metric. */
export interface Metrics {
  registry: Registry;
  scrape(): Promise<string>;
}

/** Builds the registry: SPEC section 9's metrics and the default process_/nodejs_ ones. */
export function createMetrics(source: MetricsSource): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges `*_total`, which promtool rejects; the per-type gauges stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  // One snapshot per scrape, shared by every metric's collect().
  let current: StatsDocument | null = null;
  const doc = (): StatsDocument => (current ??= source.snapshot());
  const registers = [registry];

  new Gauge({
    name: 'emperor_vassals',
    help: 'Number of vassals in each state.',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const d = doc();
      for (const s of VASSAL_STATES) this.set({ state: s }, d.totals[s] ?? 0);
    },
  });
  new Gauge({
    name: 'emperor_vassal_up',
    help: '1 while the vassal is RUNNING, else 0.',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) this.set({ vassal: v.name }, v.state === 'RUNNING' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'emperor_vassal_state',
    help: 'The vassal state: 1 for the current one, 0 for the others.',
    labelNames: ['vassal', 'state'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) for (const s of VASSAL_STATES) this.set({ vassal: v.name, state: s }, v.state === s ? 1 : 0);
    },
  });
  new Counter({
    name: 'emperor_vassal_restarts_total',
    help: 'Spawns that followed an exit nobody asked for (crashes, failed starts, health and max-rss restarts).',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) this.inc({ vassal: v.name }, v.restarts);
    },
  });
  new Counter({
    name: 'emperor_vassal_watchdog_restarts_total',
    help: 'Restarts the watchdog made: a vassal with `watchdog` that missed its WATCHDOG=1, a uWSGI vassal that missed its heartbeat.',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) this.inc({ vassal: v.name }, v.watchdog_restarts);
    },
  });
  new Gauge({
    name: 'emperor_vassal_start_time_seconds',
    help: 'Unix time the vassal\'s oldest running instance started.',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) if (v.started_at !== null) this.set({ vassal: v.name }, v.started_at);
    },
  });
  new Counter({
    name: 'emperor_vassal_cpu_seconds_total',
    help: 'CPU seconds used by the vassal\'s process groups, summed over samples.',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) this.inc({ vassal: v.name }, source.cpuSeconds(v.name));
    },
  });
  new Counter({
    name: 'emperor_log_dropped_bytes_total',
    help: 'Bytes of vassal output dropped because its log file could not be written (full disk, unwritable path).',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) this.inc({ vassal: v.name }, source.droppedLogBytes(v.name));
    },
  });
  new Counter({
    name: 'emperor_alarms_total',
    help: 'Alarms by result: sent, failed, timeout (an alarm command killed), retried (a webhook tried again), held (rate-limited by alarm-interval).',
    labelNames: ['alarm', 'event', 'result'],
    registers,
    collect() {
      this.reset();
      for (const r of source.alarms?.() ?? []) this.inc({ alarm: r.alarm, event: r.event, result: r.result }, r.count);
    },
  });
  new Gauge({
    name: 'emperor_vassal_next_run_timestamp_seconds',
    help: 'Unix time of the next run of a vassal with a schedule.',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) if (v.next_run != null) this.set({ vassal: v.name }, v.next_run);
    },
  });
  new Gauge({
    name: 'emperor_vassal_memory_rss_bytes',
    help: 'Resident memory of the vassal\'s process groups at the last sample.',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) if (v.rss_bytes !== null) this.set({ vassal: v.name }, v.rss_bytes);
    },
  });
  new Gauge({
    name: 'emperor_vassal_last_exit_code',
    help: 'Exit code of the vassal\'s last exit (-1 when killed by a signal).',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) if (v.last_exit !== null) this.set({ vassal: v.name }, v.last_exit.code ?? -1);
    },
  });
  new Gauge({
    name: 'emperor_vassal_health_up',
    help: '1 while the vassal\'s health check passes, 0 otherwise; only vassals with a health check.',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) if (v.health !== null) this.set({ vassal: v.name }, v.health === 'passing' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'emperor_cgroup_containment',
    help: '1 when every vassal runs in a cgroup of its own (nothing escapes), 0 with process groups only.',
    registers,
    collect() {
      this.set(source.contained?.() === true ? 1 : 0);
    },
  });
  new Gauge({
    name: 'emperor_config_errors',
    help: 'Number of errors in the vassal\'s file (0 when it is usable).',
    labelNames: ['vassal'],
    registers,
    collect() {
      this.reset();
      for (const v of doc().vassals) this.set({ vassal: v.name }, v.state === 'INVALID' && v.error !== null ? v.error.split('\n').length : 0);
    },
  });
  new Gauge({
    name: 'emperor_source_up',
    help: '1 while the vassal source (a directory, etcd) can be used, else 0 (the last known set keeps running).',
    labelNames: ['kind', 'address'],
    registers,
    collect() {
      this.reset();
      for (const s of doc().sources ?? []) this.set({ kind: s.kind, address: s.address }, s.healthy ? 1 : 0);
    },
  });
  return {
    registry,
    async scrape() {
      current = null;
      try {
        return await registry.metrics();
      } finally {
        current = null;
      }
    },
  };
}
