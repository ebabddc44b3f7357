// The fleet as supervisord names it: a vassal is a group, each instance a process; pure, from the snapshot.
import type { StatsDocument } from '../control/protocol.ts';

/** supervisord's process state numbers (supervisor/states.py). */
export const STATE_CODES: Readonly<Record<string, number>> = {
  STOPPED: 0,
  STARTING: 10,
  RUNNING: 20,
  BACKOFF: 30,
  STOPPING: 40,
  EXITED: 100,
  FATAL: 200,
  UNKNOWN: 1000,
};

/** States supervisord calls running (start refuses, stop acts). */
export const RUNNING_STATES = new Set(['RUNNING', 'BACKOFF', 'STARTING']);
/** States a stop waits for. */
export const STOPPED_STATES = new Set(['STOPPED', 'EXITED', 'FATAL', 'UNKNOWN']);
/** States a signal may be sent in. */
export const SIGNALLABLE_STATES = new Set(['RUNNING', 'STARTING', 'STOPPING']);

/** What the view needs about one instance beyond the snapshot. */
export interface InstanceExtra {
  /** why it is not running (FATAL, BACKOFF), or null. */
  error: string | null;
  /** its last exit: status and Unix seconds. */
  lastExit: { code: number | null; at: number } | null;
  stdoutLog: string | null;
  stderrLog: string | null;
  /** supervisord's `process_name` for this instance, if the file gave one. */
  processName: string | null;
}

/** One supervisord process. */
export interface ProcessView {
  group: string;
  name: string;
  /** the vassal's instance index; null for an INVALID vassal's stand-in. */
  index: number | null;
  state: string;
  pid: number;
  /** Unix seconds, 0 when never started. */
  start: number;
  stop: number;
  spawnerr: string;
  exitstatus: number;
  stdoutLog: string;
  stderrLog: string;
  /** the vassal has more than one instance: its processes start and stop together. */
  shared: boolean;
  /** an event listener's process, run while its [eventlistener:x] section is in its file. */
  listener?: true;
}

/** What an event listener's process shows (listener-pool fills it). */
export interface ListenerView {
  group: string;
  name: string;
  state: string;
  pid: number;
  /** Unix seconds it started, 0 if it has not. */
  start: number;
}

/** Listener processes as supervisord lists them (eventlistener pools are process groups too). */
export function withListeners(procs: ProcessView[], listeners: readonly ListenerView[]): ProcessView[] {
  if (listeners.length === 0) return procs;
  const more: ProcessView[] = listeners.map((l) => ({ ...l, index: null, stop: 0, spawnerr: '', exitstatus: 0, stdoutLog: '', stderrLog: '', shared: false, listener: true }));
  const key = (p: ProcessView): string => `${p.group}\0${p.name}`;
  return [...procs, ...more].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The processes of every vassal, groups and processes in name order as supervisorctl lists them. */
export function processViews(doc: StatsDocument, extra: (vassal: string, index: number) => InstanceExtra): ProcessView[] {
  const out: ProcessView[] = [];
  for (const v of [...doc.vassals].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (v.instances.length === 0) {
      const invalid = v.state === 'INVALID';
      const spawnerr = invalid ? (v.error ?? 'invalid file').split('\n')[0] ?? '' : '';
      out.push({ group: v.name, name: v.name, index: null, state: invalid ? 'FATAL' : 'STOPPED', pid: 0, start: 0, stop: 0, spawnerr, exitstatus: 0, stdoutLog: '', stderrLog: '', shared: false });
      continue;
    }
    const shared = v.instances.length > 1;
    const procs = v.instances.map((i) => {
      const x = extra(v.name, i.index);
      const name = shared ? (x.processName ?? `${v.name}_${i.index}`) : v.name;
      const start = Math.floor(i.started_at ?? x.lastExit?.at ?? 0);
      return {
        group: v.name,
        name,
        index: i.index,
        state: i.state,
        pid: i.pid ?? 0,
        start,
        stop: Math.floor(x.lastExit?.at ?? 0),
        spawnerr: i.state === 'FATAL' || i.state === 'BACKOFF' ? (x.error ?? '') : '',
        exitstatus: x.lastExit?.code ?? 0,
        stdoutLog: x.stdoutLog ?? '',
        stderrLog: x.stderrLog ?? '',
        shared,
      };
    });
    out.push(...procs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  }
  return out;
}

/** Python's str(timedelta) of whole seconds: `0:01:02`, `1 day, 2:03:04`. */
export function uptimeText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const rest = s % 86400;
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`;
  return days === 0 ? hms : `${days} day${days === 1 ? '' : 's'}, ${hms}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime('%b %d %I:%M %p') in local time, as supervisord writes a stop time. */
export function stopTimeText(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const h12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()] ?? ''} ${two(d.getDate())} ${two(h12)}:${two(d.getMinutes())} ${d.getHours() < 12 ? 'AM' : 'PM'}`;
}

/** The `description` supervisord gives a process (rpcinterface._interpretProcessInfo). */
export function describe(p: ProcessView, now: number): string {
  switch (p.state) {
    case 'RUNNING':
      return `pid ${p.pid}, uptime ${uptimeText(now - p.start)}`;
    case 'FATAL':
    case 'BACKOFF':
      return p.spawnerr !== '' ? p.spawnerr : `unknown error (try "tail ${p.name}")`;
    case 'STOPPED':
    case 'EXITED':
      return p.start !== 0 && p.stop !== 0 ? stopTimeText(p.stop) : 'Not started';
    default:
      return '';
  }
}

/** The struct getProcessInfo answers, keys in supervisord's order. */
export function processInfo(p: ProcessView, now: number): Record<string, string | number> {
  return {
    name: p.name,
    group: p.group,
    start: p.start,
    stop: p.stop,
    now: Math.floor(now),
    state: STATE_CODES[p.state] ?? 1000,
    statename: p.state in STATE_CODES ? p.state : 'UNKNOWN',
    spawnerr: p.spawnerr,
    exitstatus: p.exitstatus,
    logfile: p.stdoutLog,
    stdout_logfile: p.stdoutLog,
    stderr_logfile: p.stderrLog,
    pid: p.pid,
    description: describe(p, now),
  };
}

/** `group:name`, or `name` when they are the same (supervisord's make_namespec). */
export function namespec(p: { group: string; name: string }): string {
  return p.group === p.name ? p.name : `${p.group}:${p.name}`;
}

/** supervisord's split_namespec: `g:p` -> [g, p]; `g:*` or `g:` -> [g, null]; `p` -> [p, p]. */
export function splitNamespec(spec: string): [string, string | null] {
  const at = spec.indexOf(':');
  if (at < 0) return [spec, spec];
  const proc = spec.slice(at + 1);
  return [spec.slice(0, at), proc === '' || proc === '*' ? null : proc];
}
