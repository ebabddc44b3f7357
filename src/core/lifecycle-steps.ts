// The transitions several lifecycle events share: spawn, stop and its end, a failed start, an exit.
import type { Effect, ExitInfo, Instance, LifecycleContext, Transition } from './lifecycle-types.ts';
import { backoffDelay } from './backoff.ts';

/** A process that dies sooner than this after its spawn is a failed start, whatever start-secs says. */
export const MIN_STABLE_MS = 1000;

/** No change: the event means nothing in this state. */
export const same = (inst: Instance): Transition => ({ next: inst, effects: [], note: null });

/** Into STARTING with a spawn; `countRestart` when nobody asked for it. */
export function spawnNow(inst: Instance, countRestart: boolean, note: string | null): Transition {
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
      statusText: null,
    },
    effects: [{ type: 'clear-timer', timer: 'backoff' }, { type: 'spawn' }],
    note,
  };
}

/** The readiness timers a policy uses, cleared when the process they watch stops or ends. */
export function readinessClears(ctx: LifecycleContext): Effect[] {
  const clears: Effect[] = [];
  if (ctx.policy.readiness === 'announce') clears.push({ type: 'clear-timer', timer: 'start-timeout' });
  if ((ctx.policy.watchdog ?? 0) > 0) clears.push({ type: 'clear-timer', timer: 'watchdog' });
  return clears;
}

/** Into STOPPING: the stop signal (or `signal`) to a live process, and a deadline; `then` says what follows. */
export function beginStop(inst: Instance, then: Instance['then'], ctx: LifecycleContext, signal = ctx.policy.stopSignal): Transition {
  const effects: Effect[] = [{ type: 'clear-timer', timer: 'start-secs' }, ...readinessClears(ctx)];
  if (inst.pid !== null) effects.push({ type: 'kill-group', signal });
  effects.push({ type: 'set-timer', timer: 'stop-timeout', ms: ctx.policy.stopTimeout });
  return { next: { ...inst, state: 'STOPPING', then }, effects, note: null };
}

/**
 * The process group is gone: STOPPED, or STARTING again when the stop was a restart; EXITED when the
 * vassal asked to be stopped; a failed start when its start timed out.
 */
export function finishStop(inst: Instance, ctx: LifecycleContext): Transition {
  const stopped: Instance = { ...inst, state: 'STOPPED', pid: null, backoffUntil: null };
  const clear: Effect[] = [
    { type: 'clear-timer', timer: 'stop-timeout' },
    { type: 'clear-timer', timer: 'group-poll' },
  ];
  if (inst.then === 'exit') return { next: { ...stopped, state: 'EXITED', then: 'stay', failures: 0 }, effects: clear, note: null };
  if (inst.then === 'fail') {
    const why = inst.error ?? 'no readiness by start-timeout';
    const t = failedStart({ ...stopped, then: 'stay' }, ctx, why, why);
    return { ...t, effects: [...clear, ...t.effects] };
  }
  if (inst.then !== 'stay') {
    const recover = inst.then === 'recover';
    const t = spawnNow({ ...stopped, failures: 0, error: recover ? inst.error : null }, recover, null);
    return { ...t, effects: [...clear, ...t.effects] };
  }
  return { next: { ...stopped, then: 'stay' }, effects: clear, note: null };
}

/** How an exit reads: `killed by SIGKILL`, `exited with code 1`, `died (exit status unknown)`. */
export function exitWords(code: number | null, signal: string | null): string {
  if (signal !== null) return `killed by ${signal}`;
  // A daemon is not the emperor's child: its end is seen, its exit status is not.
  return code === null ? 'died (exit status unknown)' : `exited with code ${code}`;
}

/** A start that failed: BACKOFF before the next try, or FATAL once start-retries are used up. */
export function failedStart(inst: Instance, ctx: LifecycleContext, why: string, error: string | null): Transition {
  const failures = inst.failures + 1;
  const { startRetries } = ctx.policy;
  if (startRetries > 0 && failures >= startRetries) {
    const msg = `${why}; gave up after ${failures} failed start${failures === 1 ? '' : 's'} in a row (start-retries = ${startRetries})`;
    return {
      next: { ...inst, state: 'FATAL', pid: null, failures, backoffUntil: null, error: error ?? msg },
      effects: [{ type: 'clear-timer', timer: 'start-secs' }, ...readinessClears(ctx)],
      note: msg,
    };
  }
  const delay = backoffDelay(failures, { base: ctx.policy.backoff, max: ctx.policy.backoffMax }, ctx.random);
  return {
    next: { ...inst, state: 'BACKOFF', pid: null, failures, backoffUntil: ctx.now + delay, error },
    effects: [
      { type: 'clear-timer', timer: 'start-secs' },
      ...readinessClears(ctx),
      { type: 'set-timer', timer: 'backoff', ms: delay },
    ],
    note: `${why}; failed start ${failures}, retrying in ${(delay / 1000).toFixed(1)}s`,
  };
}

/** A STARTING or RUNNING process ended: a failed start, done (EXITED), or a restart, as the policy says. */
export function onExit(inst: Instance, ev: { code: number | null; signal: string | null; groupAlive: boolean; reason?: string }, ctx: LifecycleContext): Transition {
  const lastExit: ExitInfo = { code: ev.code, signal: ev.signal, at: ctx.now };
  const exited: Instance = { ...inst, pid: null, lastExit };
  const reap: Effect[] = ev.groupAlive ? [{ type: 'kill-group', signal: 'SIGKILL' }] : [];
  const why = ev.reason ?? exitWords(ev.code, ev.signal);
  const success = ev.signal === null && ev.code !== null && ctx.policy.exitCodes.includes(ev.code);
  const uptime = inst.spawnedAt === null ? 0 : ctx.now - inst.spawnedAt;
  const withReap = (t: Transition): Transition => ({ ...t, effects: [...reap, ...t.effects] });
  const done = (): Transition => ({
    next: { ...exited, state: 'EXITED', failures: 0, error: success ? null : why },
    effects: [{ type: 'clear-timer', timer: 'start-secs' }, ...readinessClears(ctx)],
    note: why,
  });

  if (ctx.policy.oneShot === true && ctx.policy.restart === 'never') return withReap(done());
  if (inst.state === 'STARTING' || uptime < MIN_STABLE_MS) {
    // A job that did its work quickly is not a crash unless the policy wants it always up.
    if (success && ctx.policy.restart !== 'always') return withReap(done());
    return withReap(failedStart(exited, ctx, why, `${why} ${(uptime / 1000).toFixed(1)}s after start`));
  }
  const again = ctx.policy.restart === 'always' || (ctx.policy.restart === 'on-failure' && !success);
  if (!again) return withReap(done());
  const t = spawnNow({ ...exited, failures: 0, error: null }, true, `${why}; restarting`);
  return withReap({ ...t, effects: [...readinessClears(ctx), ...t.effects] });
}
