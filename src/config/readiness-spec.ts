// How a vassal says it is ready, and what it waits for: the readiness keys of a VassalSpec, with their defaults.
import type { ConfigProblem, VassalSpec } from './spec.ts';

/** systemd's TimeoutStartSec default. */
export const DEFAULT_START_TIMEOUT = 90_000;
/** systemd's WatchdogSignal default. */
export const DEFAULT_WATCHDOG_SIGNAL = 'SIGABRT';

/** The readiness settings of one vassal (durations in ms, signals as names). */
export interface ReadinessSpec {
  /** `notify = true`: a NOTIFY_SOCKET, RUNNING on READY=1. */
  notify: boolean;
  /** `watchdog`: WATCHDOG=1 owed this often once READY; null: no watchdog. */
  watchdog: number | null;
  watchdogSignal: string;
  /** how long a vassal that announces readiness has to do so. */
  startTimeout: number;
  /** `ready-log-line`: the source of a JavaScript regular expression matched against each output line. */
  readyLogLine: string | null;
  /** `depends = NAME:completed`: one-shots that must have EXITED with a success code first. */
  dependsCompleted: string[];
  /**
   * A `[uwsgi]` app speaking the uWSGI Emperor protocol; `workers`: whether it has workers, which
   * send 5 when accepting (a router or gateway only has none). null for every other vassal.
   */
  uwsgi: { workers: boolean } | null;
}

/** The settings of a vassal that says nothing about its readiness. */
export function defaultReadiness(): ReadinessSpec {
  return {
    notify: false,
    watchdog: null,
    watchdogSignal: DEFAULT_WATCHDOG_SIGNAL,
    startTimeout: DEFAULT_START_TIMEOUT,
    readyLogLine: null,
    dependsCompleted: [],
    uwsgi: null,
  };
}

/** A spec's readiness settings (absent on specs built before this key set existed: the defaults). */
export function readinessOf(spec: VassalSpec): ReadinessSpec {
  return spec.readiness ?? defaultReadiness();
}

/** Whether the vassal says itself when it is ready (then start-timeout bounds its start, not start-secs). */
export function announcesReadiness(r: ReadinessSpec): boolean {
  return r.notify || r.readyLogLine !== null || (r.uwsgi !== null && r.uwsgi.workers);
}

/**
 * Problems only a set of files shows: `depends = NAME:completed` on a vassal of the set that has
 * `restart = always` (it never completes). For `emperor check` over a directory.
 */
export function completedProblems(specs: readonly VassalSpec[]): ConfigProblem[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const problems: ConfigProblem[] = [];
  for (const spec of specs) {
    for (const name of readinessOf(spec).dependsCompleted) {
      const dep = byName.get(name);
      if (dep === undefined || dep.restart !== 'always') continue;
      const message = `\`depends = ${name}:completed\`, but ${name} (${dep.file}) has \`restart = always\` and never completes; set \`restart = on-failure\` or \`never\` there, or depend on \`${name}\` being RUNNING`;
      problems.push({ file: spec.file, line: spec.lines['depends'] ?? 1, message, warning: false });
    }
  }
  return problems;
}
