// A smart-attached daemon's start as pure decisions (SPEC section 5): adopt the live daemon its
// pidfile names, or launch the command and wait for the pidfile to name the process it started;
// a cancel ends the launcher and stops a daemon that appears anyway. The runner is src/runtime/daemon.ts.
import type { ErrorCode } from './errors.ts';
import { isStale, launchedBy, notOurs, type DaemonIdentity, type DaemonRecordSeen, type DaemonWho, type PidfileSeen, type StalePidfile } from './daemon-watch-judge.ts';

/** How often the pidfile is read while waiting for it. */
export const WAIT_POLL_MS = 50;
/** How often a cancelled start looks for a daemon that appeared anyway. */
export const SWEEP_POLL_MS = WAIT_POLL_MS * 4;

/** One launch: its launcher's pid (and group), when it began, until when its pidfile may come. */
export interface Launch {
  launcher: number;
  launchedMs: number;
  deadline: number;
  stale: StalePidfile | null;
}

/** Where a start is. `adopted` and `failed` have settled; `sweeping` and `stopping-stray` follow a cancel. */
export type WatchState =
  | { phase: 'idle' }
  | { phase: 'launching'; stale: StalePidfile | null }
  | { phase: 'waiting'; launch: Launch; last: string; launcherExit: string | null }
  | { phase: 'expiring'; launch: Launch; last: string; launcherExit: string | null }
  | { phase: 'adopted'; launch: Launch }
  | { phase: 'failed'; launch: Launch }
  | { phase: 'sweeping'; launch: Launch }
  | { phase: 'stopping-stray'; stray: DaemonIdentity }
  | { phase: 'done' };

/** The phases, for the table test. */
export const WATCH_PHASES = ['idle', 'launching', 'waiting', 'expiring', 'adopted', 'failed', 'sweeping', 'stopping-stray', 'done'] as const;

/** What happened: readings come with the identity of the pid they name (null when it is not running). */
export type WatchEvent =
  | { type: 'begin'; reading: PidfileSeen; id: DaemonIdentity | null; record: DaemonRecordSeen | null; bootMs: number }
  | { type: 'launched'; pid: number; launchedMs: number }
  | { type: 'launcher-exit'; code: number | null; signal: string | null }
  | { type: 'poll'; reading: PidfileSeen; id: DaemonIdentity | null; now: number }
  | { type: 'launcher'; alive: boolean }
  | { type: 'cancel'; stopDaemon: boolean }
  | { type: 'sweep'; reading: PidfileSeen; id: DaemonIdentity | null; now: number }
  | { type: 'stray-timeout'; id: DaemonIdentity | null };

/** The event types, for the table test. */
export const WATCH_EVENTS = ['begin', 'launched', 'launcher-exit', 'poll', 'launcher', 'cancel', 'sweep', 'stray-timeout'] as const;

/** What the runner does: data, carried out in order. */
export type WatchEffect =
  | { type: 'note'; message: string }
  | { type: 'adopt'; id: DaemonIdentity }
  | { type: 'launch' }
  | { type: 'track'; pid: number }
  | { type: 'untrack'; pid: number }
  | { type: 'end-launcher'; pid: number }
  | { type: 'poll-after'; ms: number }
  | { type: 'check-launcher'; pid: number }
  | { type: 'settle-error'; code: ErrorCode; error: string }
  | { type: 'sweep-after'; ms: number }
  | { type: 'signal'; pid: number; signal: string }
  | { type: 'stray-timer'; ms: number };

/** The daemon's facts that do not change during a start. */
export interface WatchContext extends DaemonWho {
  /** smart-attach-daemon2: the command stays in the foreground and the emperor writes the pidfile (no wait). */
  foreground: boolean;
  startTimeoutMs: number;
  stopSignal: string;
  stopTimeoutMs: number;
}

/** A decision: the next state and what to do. */
export interface WatchStep {
  state: WatchState;
  effects: WatchEffect[];
}

/** The state before anything was read. */
export const initialWatch: WatchState = { phase: 'idle' };

const ignore = (state: WatchState): WatchStep => ({ state, effects: [] });

/** Decides one event. Every pair not named is ignored: the event cannot change that phase. */
export function decide(state: WatchState, ev: WatchEvent, ctx: WatchContext): WatchStep {
  switch (ev.type) {
    case 'begin':
      return state.phase === 'idle' ? begin(ev, ctx) : ignore(state);
    case 'launched':
      if (state.phase !== 'launching') return ignore(state);
      // A foreground command is the daemon itself: the runner writes its pidfile, nothing is awaited.
      if (ctx.foreground) return { state: { phase: 'done' }, effects: [{ type: 'track', pid: ev.pid }] };
      return {
        state: { phase: 'waiting', launch: { launcher: ev.pid, launchedMs: ev.launchedMs, deadline: ev.launchedMs + ctx.startTimeoutMs, stale: state.stale }, last: 'the pidfile never appeared', launcherExit: null },
        effects: [{ type: 'track', pid: ev.pid }, { type: 'poll-after', ms: 0 }],
      };
    case 'launcher-exit':
      if (state.phase !== 'waiting' && state.phase !== 'expiring') return ignore(state);
      return { state: { ...state, launcherExit: ev.signal !== null ? `killed by ${ev.signal}` : `exited with code ${ev.code ?? '?'}` }, effects: [] };
    case 'poll':
      return state.phase === 'waiting' ? poll(state, ev, ctx) : ignore(state);
    case 'launcher':
      return state.phase === 'expiring' ? expire(state, ev.alive, ctx) : ignore(state);
    case 'cancel':
      return cancel(state, ev.stopDaemon);
    case 'sweep':
      return state.phase === 'sweeping' ? sweep(state.launch, ev, ctx) : ignore(state);
    case 'stray-timeout':
      if (state.phase !== 'stopping-stray') return ignore(state);
      // Still the very process that was sent the stop signal (same start): it gets SIGKILL.
      if (ev.id !== null && ev.id.startTicks === state.stray.startTicks) return { state: { phase: 'done' }, effects: [{ type: 'signal', pid: state.stray.pid, signal: 'SIGKILL' }] };
      return { state: { phase: 'done' }, effects: [] };
  }
}

// The pidfile before the launch: a live daemon of ours is adopted; anything else is stale.
function begin(ev: Extract<WatchEvent, { type: 'begin' }>, ctx: WatchContext): WatchStep {
  const r = ev.reading;
  if (!r.ok) return { state: { phase: 'launching', stale: null }, effects: [{ type: 'launch' }] };
  const stale = { pid: r.pid, mtimeMs: r.mtimeMs };
  if (ev.id === null) return { state: { phase: 'launching', stale }, effects: [{ type: 'launch' }] };
  const why = notOurs(ev.id, r.mtimeMs, ctx, ev.record, ev.bootMs);
  if (why === null) {
    return { state: { phase: 'done' }, effects: [{ type: 'note', message: `adopted the running daemon pid ${ev.id.pid} (${ev.id.name}) named by ${ctx.pidfile}` }, { type: 'adopt', id: ev.id }] };
  }
  const note = `pidfile ${ctx.pidfile} names pid ${ev.id.pid} (${ev.id.name}), which is not this daemon: ${why}; it is left alone`;
  return { state: { phase: 'launching', stale }, effects: [{ type: 'note', message: note }, { type: 'launch' }] };
}

// One read of the pidfile while waiting: the launch's own daemon is adopted; else say why not, until the deadline.
function poll(state: Extract<WatchState, { phase: 'waiting' }>, ev: Extract<WatchEvent, { type: 'poll' }>, ctx: WatchContext): WatchStep {
  const r = ev.reading;
  const { launch } = state;
  let last: string;
  if (isStale(r, launch.stale)) {
    last = `pidfile ${ctx.pidfile} still names pid ${r.ok ? r.pid : '?'}, which is not this daemon (the command never rewrote it)`;
  } else if (r.ok) {
    if (ev.id !== null && launchedBy(ev.id, launch.launchedMs, ctx)) {
      // The daemon outlives the emperor, launcher group included.
      return { state: { phase: 'adopted', launch }, effects: [{ type: 'untrack', pid: launch.launcher }, { type: 'adopt', id: ev.id }] };
    }
    last = ev.id === null ? `pidfile ${ctx.pidfile} names pid ${r.pid}, which is not running` : `pidfile ${ctx.pidfile} names pid ${r.pid} (${ev.id.name}), which is not the process this launch started`;
  } else {
    last = r.message;
  }
  if (ev.now >= launch.deadline) return { state: { ...state, phase: 'expiring', last }, effects: [{ type: 'check-launcher', pid: launch.launcher }] };
  return { state: { ...state, last }, effects: [{ type: 'poll-after', ms: WAIT_POLL_MS }] };
}

// The deadline passed: the launcher ends, and the error says what was last seen and what the command did.
function expire(state: Extract<WatchState, { phase: 'expiring' }>, launcherAlive: boolean, ctx: WatchContext): WatchStep {
  const foreground = state.launcherExit === null && launcherAlive;
  const error =
    `${state.last} within ${Math.round(ctx.startTimeoutMs / 1000)} s of the launch` +
    (foreground
      ? '; the command was still running in the foreground: it never daemonized (use `command` for a program that stays in the foreground)'
      : state.launcherExit !== null
        ? `; the command ${state.launcherExit}`
        : '');
  return { state: { phase: 'failed', launch: state.launch }, effects: [{ type: 'end-launcher', pid: state.launch.launcher }, { type: 'settle-error', code: 'E_PIDFILE_TIMEOUT', error }] };
}

// A cancel ends the launcher; unless the emperor shuts down, a daemon the launcher forked is looked for and stopped.
function cancel(state: WatchState, stopDaemon: boolean): WatchStep {
  switch (state.phase) {
    case 'idle':
    case 'launching':
    case 'sweeping':
    case 'stopping-stray':
    case 'done':
      return ignore(state);
    case 'waiting':
    case 'expiring':
    case 'adopted':
    case 'failed': {
      const settled = state.phase === 'adopted' || state.phase === 'failed';
      const effects: WatchEffect[] = [{ type: 'end-launcher', pid: state.launch.launcher }];
      if (!settled) effects.push({ type: 'settle-error', code: 'E_SPAWN_CANCELLED', error: 'start cancelled' });
      // The emperor shuts down: a daemon that appears is the next emperor's.
      if (!stopDaemon) return { state: { phase: 'done' }, effects };
      // The sweep runs at once (a zero delay), then every SWEEP_POLL_MS until the deadline.
      return { state: { phase: 'sweeping', launch: state.launch }, effects: [...effects, { type: 'sweep-after', ms: 0 }] };
    }
  }
}

// After a cancel: the launch's daemon, once its pidfile names it, gets the stop signal, then SIGKILL.
function sweep(launch: Launch, ev: Extract<WatchEvent, { type: 'sweep' }>, ctx: WatchContext): WatchStep {
  const id = ev.reading.ok && !isStale(ev.reading, launch.stale) ? ev.id : null;
  if (id !== null && launchedBy(id, launch.launchedMs, ctx)) {
    return {
      state: { phase: 'stopping-stray', stray: id },
      effects: [
        { type: 'note', message: `stopping pid ${id.pid} (${id.name}), the daemon of a start that was cancelled` },
        { type: 'signal', pid: id.pid, signal: ctx.stopSignal },
        { type: 'stray-timer', ms: ctx.stopTimeoutMs },
      ],
    };
  }
  if (ev.now < launch.deadline) return { state: { phase: 'sweeping', launch }, effects: [{ type: 'sweep-after', ms: SWEEP_POLL_MS }] };
  return { state: { phase: 'done' }, effects: [] };
}
