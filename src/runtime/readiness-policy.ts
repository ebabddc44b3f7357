// The lifecycle settings a vassal's readiness keys imply: how STARTING ends, and what watches a live vassal.
import type { LifecyclePolicy } from '../core/lifecycle.ts';
import type { VassalSpec } from '../config/spec.ts';
import { readinessOf } from '../config/readiness-spec.ts';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../core/uwsgi-emperor-protocol.ts';

/** The readiness fields of LifecyclePolicy; empty for a vassal that says nothing (start-secs decides). */
export function readinessPolicy(spec: VassalSpec | null, heartbeatMs: number = DEFAULT_HEARTBEAT_TIMEOUT_MS, pipes = true): Partial<LifecyclePolicy> {
  if (spec === null) return {};
  const r = readinessOf(spec);
  // Without uWSGI Emperor pipes (no native helper), a `[uwsgi]` vassal is judged by start-secs, as before the protocol.
  if (r.uwsgi !== null && !pipes) return {};
  if (r.uwsgi !== null) {
    // As the uWSGI Emperor: ready on 5 (a gateway alone by start-secs); after a first heartbeat, a
    // vassal silent for the heartbeat timeout is brutally respawned.
    return { readiness: r.uwsgi.workers ? 'announce' : 'start-secs', startTimeout: r.startTimeout, watchdog: heartbeatMs, watchdogSignal: 'SIGKILL', watchdogAtReady: false };
  }
  if (!r.notify && r.readyLogLine === null) return {};
  return {
    readiness: 'announce',
    startTimeout: r.startTimeout,
    watchdog: r.notify ? (r.watchdog ?? 0) : 0,
    watchdogSignal: r.watchdogSignal,
    watchdogAtReady: true,
  };
}
