// The instance lifecycle as one pure function: (state, event, context) -> (state, effects).
import type { InstanceStateName } from './states.ts';
import type { RestartPolicy } from '../config/spec.ts';
import { backoffDelay } from './backoff.ts';

/** A process that dies sooner than this after its spawn is a failed start, whatever start-secs says. */
export const MIN_STABLE_MS = 1000;

/** How often a stopping instance whose leader is gone checks that its process group is empty. */
export const GROUP_POLL_MS = 25;

/** How one process ended. `at` is monotonic milliseconds. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
}

/** Everything the lifecycle knows about one instance. Times are monotonic milliseconds. */
export interface Instance {
  state: InstanceStateName;
  pid: number | null;
  spawnedAt: number | null;
  /** failed starts in a row. */
  failures: number;
  /** spawns that followed an exit nobody asked for. */
  restarts: number;
  lastExit: ExitInfo | null;
  backoffUntil: number | null;
  error: string | null;
  /**
   * Where a stop in progress leads: stay stopped, start again (a restart someone asked for),
   * or recover (a restart the emperor decided: health or memory; it counts in `restarts`).
   */
  then: 'stay' | 'start' | 'recover';
  /** start-secs has elapsed since the spawn. */
  startSecsDone: boolean;
  /** the health check has passed since the spawn. */
  healthPassed: boolean;
  /** health check failures in a row. */
  healthFailures: number;
  /** why the emperor last restarted it on its own (health, memory); kept until an operator or file acts. */
  recovery: string | null;
}

/** The supervision settings the lifecycle obeys (durations in ms, signals as names). */
export interface LifecyclePolicy {
  restart: RestartPolicy;
  exitCodes: readonly number[];
  startSecs: number;
  startRetries: number;
  backoff: number;
  backoffMax: number;
  stopSignal: string;
  stopTimeout: number;
  /** whether the vassal has a health check: RUNNING then also needs a first pass. */
  healthCheck: boolean;
  healthRetries: number;
}

/** Facts the runner supplies with each event: the clock and a random number for jitter. */
export interface LifecycleContext {
  now: number;
  random: number;
  policy: LifecyclePolicy;
}

/** Timers an instance may hold; at most one of each. */
export type TimerName = 'start-secs' | 'backoff' | 'stop-timeout' | 'group-poll';

/** What can happen to an instance. */
export type LifecycleEvent =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'spawned'; pid: number }
  | { type: 'spawn-failed'; error: string }
  | { type: 'exited'; code: number | null; signal: string | null; groupAlive: boolean }
  | { type: 'timer'; timer: TimerName; groupAlive: boolean }
  | { type: 'health'; ok: boolean; message: string }
  | { type: 'over-memory'; rss: number; limit: number };

/** What the runner must do, as data. */
export type Effect =
  | { type: 'spawn' }
  | { type: 'kill-group'; signal: string }
  | { type: 'set-timer'; timer: TimerName; ms: number }
  | { type: 'clear-timer'; timer: TimerName };

/** The outcome of one event: the new instance, the effects to carry out, and a line for the event log. */
export interface Transition {
  next: Instance;
  effects: Effect[];
  note: string | null;
}

/** A fresh, never-started instance. */
export function initialInstance(): Instance {
  return {
    state: 'STOPPED',
    pid: null,
    spawnedAt: null,
    failures: 0,
    restarts: 0,
    lastExit: null,
    backoffUntil: null,
    error: null,
    then: 'stay',
    startSecsDone: false,
    healthPassed: false,
    healthFailures: 0,
    recovery: null,
  };
}

const same = (inst: Instance): Transition => ({ next: inst, effects: [], note: null });

function spawnNow(inst: Instance, countRestart: boolean, note: string | null): Transition {
  return {
    next: {
      ...inst,
      state: 'STARTING',
      pid: null,
      spawnedAt: null,
      backoffUntil: null,
      then: 'stay',
      restarts: inst.restarts + (countRestart ? 1 : 0),
      startSecsDone: false,
      healthPassed: false,
      healthFailures: 0,
    },
    effects: [{ type: 'clear-timer', timer: 'backoff' }, { type: 'spawn' }],
    note,
  };
}

function beginStop(inst: Instance, then: Instance['then'], ctx: LifecycleContext): Transition {
  const effects: Effect[] = [{ type: 'clear-timer', timer: 'start-secs' }];
  if (inst.pid !== null) effects.push({ type: 'kill-group', signal: ctx.policy.stopSignal });
  effects.push({ type: 'set-timer', timer: 'stop-timeout', ms: ctx.policy.stopTimeout });
  return { next: { ...inst, state: 'STOPPING', then }, effects, note: null };
}

function finishStop(inst: Instance): Transition {
  const stopped: Instance = { ...inst, state: 'STOPPED', pid: null, backoffUntil: null };
  const clear: Effect[] = [
    { type: 'clear-timer', timer: 'stop-timeout' },
    { type: 'clear-timer', timer: 'group-poll' },
  ];
  if (inst.then !== 'stay') {
    const recover = inst.then === 'recover';
    const t = spawnNow({ ...stopped, failures: 0, error: recover ? inst.error : null }, recover, null);
    return { ...t, effects: [...clear, ...t.effects] };
  }
  return { next: { ...stopped, then: 'stay' }, effects: clear, note: null };
}

function exitWords(code: number | null, signal: string | null): string {
  if (signal !== null) return `killed by ${signal}`;
  // A daemon is not the emperor's child: its end is seen, its exit status is not.
  return code === null ? 'died (exit status unknown)' : `exited with code ${code}`;
}

function failedStart(inst: Instance, ctx: LifecycleContext, why: string, error: string | null): Transition {
  const failures = inst.failures + 1;
  const { startRetries } = ctx.policy;
  if (startRetries > 0 && failures >= startRetries) {
    const msg = `${why}; gave up after ${failures} failed start${failures === 1 ? '' : 's'} in a row (start-retries = ${startRetries})`;
    return {
      next: { ...inst, state: 'FATAL', pid: null, failures, backoffUntil: null, error: error ?? msg },
      effects: [{ type: 'clear-timer', timer: 'start-secs' }],
      note: msg,
    };
  }
  const delay = backoffDelay(failures, { base: ctx.policy.backoff, max: ctx.policy.backoffMax }, ctx.random);
  return {
    next: { ...inst, state: 'BACKOFF', pid: null, failures, backoffUntil: ctx.now + delay, error },
    effects: [
      { type: 'clear-timer', timer: 'start-secs' },
      { type: 'set-timer', timer: 'backoff', ms: delay },
    ],
    note: `${why}; failed start ${failures}, retrying in ${(delay / 1000).toFixed(1)}s`,
  };
}

function onExit(inst: Instance, ev: { code: number | null; signal: string | null; groupAlive: boolean }, ctx: LifecycleContext): Transition {
  const lastExit: ExitInfo = { code: ev.code, signal: ev.signal, at: ctx.now };
  const exited: Instance = { ...inst, pid: null, lastExit };
  const reap: Effect[] = ev.groupAlive ? [{ type: 'kill-group', signal: 'SIGKILL' }] : [];
  const why = exitWords(ev.code, ev.signal);
  const success = ev.signal === null && ev.code !== null && ctx.policy.exitCodes.includes(ev.code);
  const uptime = inst.spawnedAt === null ? 0 : ctx.now - inst.spawnedAt;
  const withReap = (t: Transition): Transition => ({ ...t, effects: [...reap, ...t.effects] });
  const done = (): Transition => ({
    next: { ...exited, state: 'EXITED', failures: 0, error: success ? null : why },
    effects: [{ type: 'clear-timer', timer: 'start-secs' }],
    note: why,
  });

  if (inst.state === 'STARTING' || uptime < MIN_STABLE_MS) {
    // A job that did its work quickly is not a crash unless the policy wants it always up.
    if (success && ctx.policy.restart !== 'always') return withReap(done());
    return withReap(failedStart(exited, ctx, why, `${why} ${(uptime / 1000).toFixed(1)}s after start`));
  }
  const again = ctx.policy.restart === 'always' || (ctx.policy.restart === 'on-failure' && !success);
  if (!again) return withReap(done());
  return withReap(spawnNow({ ...exited, failures: 0, error: null }, true, `${why}; restarting`));
}

function onHealth(inst: Instance, ev: { ok: boolean; message: string }, ctx: LifecycleContext): Transition {
  const s = inst.state;
  if ((s !== 'STARTING' && s !== 'RUNNING') || inst.pid === null) return same(inst);
  if (ev.ok) {
    const passed: Instance = { ...inst, healthPassed: true, healthFailures: 0, error: null };
    if (s === 'STARTING' && inst.startSecsDone) return { next: { ...passed, state: 'RUNNING', error: null }, effects: [], note: 'health check passed' };
    const recovered = s === 'RUNNING' && inst.healthFailures > 0 ? 'health check passing again' : null;
    return { next: passed, effects: [], note: recovered };
  }
  const failures = inst.healthFailures + 1;
  if (s === 'STARTING') {
    // Never passed yet: it stays STARTING, with the reason shown.
    const what = inst.healthPassed ? 'health check failing' : 'health check not passing yet';
    return { next: { ...inst, healthFailures: failures, error: `${what}: ${ev.message}` }, effects: [], note: null };
  }
  if (failures < ctx.policy.healthRetries) {
    return { next: { ...inst, healthFailures: failures }, effects: [], note: `health check failed (${failures} of ${ctx.policy.healthRetries}): ${ev.message}` };
  }
  const why = `health check failed ${failures} time${failures === 1 ? '' : 's'} in a row (${ev.message}): restarted`;
  const t = beginStop({ ...inst, healthFailures: failures, error: why, recovery: why }, 'recover', ctx);
  return { ...t, note: why };
}

/** The one place an instance changes state. Every (state, event) pair is handled. */
export function transition(inst: Instance, ev: LifecycleEvent, ctx: LifecycleContext): Transition {
  const s = inst.state;
  switch (ev.type) {
    case 'start':
      if (s === 'STOPPED' || s === 'EXITED' || s === 'FATAL' || s === 'BACKOFF') {
        return spawnNow({ ...inst, failures: s === 'BACKOFF' ? inst.failures : 0, error: null, recovery: null }, false, null);
      }
      // A restart the emperor decided keeps counting as one.
      if (s === 'STOPPING') return { next: { ...inst, then: inst.then === 'recover' ? 'recover' : 'start' }, effects: [], note: null };
      return same(inst);

    case 'stop':
      if (s === 'STARTING' || s === 'RUNNING') return beginStop(inst, 'stay', ctx);
      if (s === 'STOPPING') return { next: { ...inst, then: 'stay' }, effects: [], note: null };
      if (s === 'BACKOFF' || s === 'EXITED' || s === 'FATAL') {
        return {
          // An operator's stop clears the failure: STOPPED shows no stale error.
          next: { ...inst, state: 'STOPPED', backoffUntil: null, then: 'stay', failures: 0, error: null },
          effects: [{ type: 'clear-timer', timer: 'backoff' }],
          note: null,
        };
      }
      return same(inst);

    case 'restart':
      if (s === 'STARTING' || s === 'RUNNING') return beginStop({ ...inst, recovery: null }, 'start', ctx);
      if (s === 'STOPPING') return { next: { ...inst, then: 'start', recovery: null }, effects: [], note: null };
      return spawnNow({ ...inst, failures: 0, error: null, recovery: null }, false, null);

    case 'spawned':
      if (s !== 'STARTING' && s !== 'STOPPING') return same(inst);
      if (s === 'STOPPING') {
        // A stop arrived before the spawn completed: stop the new process at once.
        return {
          next: { ...inst, pid: ev.pid, spawnedAt: ctx.now },
          effects: [{ type: 'kill-group', signal: ctx.policy.stopSignal }],
          note: null,
        };
      }
      if (ctx.policy.startSecs <= 0) {
        const started: Instance = { ...inst, pid: ev.pid, spawnedAt: ctx.now, startSecsDone: true };
        if (ctx.policy.healthCheck) return { next: started, effects: [], note: null };
        return { next: { ...started, state: 'RUNNING', error: null }, effects: [], note: null };
      }
      return {
        next: { ...inst, pid: ev.pid, spawnedAt: ctx.now },
        effects: [{ type: 'set-timer', timer: 'start-secs', ms: ctx.policy.startSecs }],
        note: null,
      };

    case 'spawn-failed':
      if (s === 'STARTING') return failedStart({ ...inst, pid: null, spawnedAt: null }, ctx, ev.error, ev.error);
      if (s === 'STOPPING') return finishStop({ ...inst, pid: null });
      return same(inst);

    case 'exited':
      if (s === 'STARTING' || s === 'RUNNING') return onExit(inst, ev, ctx);
      if (s === 'STOPPING') {
        const ended: Instance = { ...inst, pid: null, lastExit: { code: ev.code, signal: ev.signal, at: ctx.now } };
        if (ev.groupAlive) {
          return { next: ended, effects: [{ type: 'set-timer', timer: 'group-poll', ms: GROUP_POLL_MS }], note: null };
        }
        return finishStop(ended);
      }
      return same(inst);

    case 'health':
      return onHealth(inst, ev, ctx);

    case 'over-memory': {
      // Only a RUNNING process is restarted for memory: one that is still starting is judged once it runs.
      if (s !== 'RUNNING') return same(inst);
      const mb = (n: number): string => `${Math.round(n / 1048576)} MB`;
      const why = `using ${mb(ev.rss)} of resident memory, over max-rss ${mb(ev.limit)}: restarted`;
      const t = beginStop({ ...inst, error: why, recovery: why }, 'recover', ctx);
      return { ...t, note: why };
    }

    case 'timer':
      switch (ev.timer) {
        case 'start-secs':
          if (s !== 'STARTING' || inst.pid === null) return same(inst);
          if (ctx.policy.healthCheck && !inst.healthPassed) {
            return { next: { ...inst, startSecsDone: true }, effects: [], note: 'up for start-secs; waiting for the first health check to pass' };
          }
          return { next: { ...inst, state: 'RUNNING', startSecsDone: true, error: null }, effects: [], note: null };
        case 'backoff':
          if (s === 'BACKOFF') return spawnNow(inst, true, null);
          return same(inst);
        case 'stop-timeout':
          if (s === 'STOPPING') {
            return {
              next: inst,
              effects: [{ type: 'kill-group', signal: 'SIGKILL' }],
              note: `still running ${ctx.policy.stopTimeout / 1000}s after ${ctx.policy.stopSignal}: sending SIGKILL to its process group`,
            };
          }
          return same(inst);
        case 'group-poll':
          if (s !== 'STOPPING' || inst.pid !== null) return same(inst);
          if (ev.groupAlive) return { next: inst, effects: [{ type: 'set-timer', timer: 'group-poll', ms: GROUP_POLL_MS }], note: null };
          return finishStop(inst);
      }
  }
}
