// What a vassal says about itself: it is ready, it is alive (watchdog), its status, that it wants to stop.
import type { Effect, Instance, LifecycleContext, Transition } from './lifecycle-types.ts';
import { beginStop, same } from './lifecycle-steps.ts';

/** systemd's TimeoutStartSec default: how long an announcing vassal has to say it is ready. */
export const DEFAULT_START_TIMEOUT_MS = 90_000;

const secs = (ms: number): string => `${Number((ms / 1000).toFixed(3))}s`;
const live = (inst: Instance): boolean => inst.pid !== null && (inst.state === 'STARTING' || inst.state === 'RUNNING');
const announces = (ctx: LifecycleContext): boolean => ctx.policy.readiness === 'announce';
const watchdogMs = (ctx: LifecycleContext): number => ctx.policy.watchdog ?? 0;

/** The deadline a fresh process of this policy gets: start-timeout for a vassal that announces, else start-secs. */
export function startDeadline(ctx: LifecycleContext): Effect {
  if (announces(ctx)) return { type: 'set-timer', timer: 'start-timeout', ms: ctx.policy.startTimeout ?? DEFAULT_START_TIMEOUT_MS };
  return { type: 'set-timer', timer: 'start-secs', ms: ctx.policy.startSecs };
}

/** `ready`: RUNNING (after the first health pass, with a health check); the watchdog is armed from here. */
export function onReady(inst: Instance, how: string, ctx: LifecycleContext): Transition {
  if (inst.state !== 'STARTING' || inst.pid === null || !announces(ctx) || inst.startSecsDone) return same(inst);
  const effects: Effect[] = [{ type: 'clear-timer', timer: 'start-timeout' }];
  if (watchdogMs(ctx) > 0 && ctx.policy.watchdogAtReady === true) effects.push({ type: 'set-timer', timer: 'watchdog', ms: watchdogMs(ctx) });
  if (ctx.policy.healthCheck && !inst.healthPassed) {
    return { next: { ...inst, startSecsDone: true }, effects, note: `ready (${how}); waiting for the first health check to pass` };
  }
  return { next: { ...inst, state: 'RUNNING', startSecsDone: true, error: null }, effects, note: null };
}

/** A ping pushes the watchdog's deadline back; before readiness it counts only for uWSGI's heartbeats. */
export function onWatchdogPing(inst: Instance, ctx: LifecycleContext): Transition {
  const ms = watchdogMs(ctx);
  if (!live(inst) || ms <= 0) return same(inst);
  if (ctx.policy.watchdogAtReady === true && inst.state === 'STARTING' && !inst.startSecsDone) return same(inst);
  return { next: inst, effects: [{ type: 'set-timer', timer: 'watchdog', ms }], note: null };
}

/** The watchdog's deadline passed: a restart the emperor decided, with the watchdog signal, counted in restarts. */
export function onWatchdogTimer(inst: Instance, ctx: LifecycleContext): Transition {
  const ms = watchdogMs(ctx);
  if (!live(inst) || ms <= 0) return same(inst);
  if (ctx.policy.watchdogAtReady === true && inst.state === 'STARTING' && !inst.startSecsDone) return same(inst);
  const signal = ctx.policy.watchdogSignal ?? 'SIGABRT';
  const ping = ctx.policy.watchdogAtReady === true ? 'WATCHDOG=1' : 'heartbeat';
  const why = `watchdog fired: no ${ping} for ${secs(ms)}; restarted with ${signal}`;
  const t = beginStop({ ...inst, error: why, recovery: why, watchdogFires: inst.watchdogFires + 1 }, 'recover', ctx, signal);
  return { ...t, note: why };
}

/** start-timeout passed with no sign of readiness: the process is stopped and the start counts as failed. */
export function onStartTimeout(inst: Instance, ctx: LifecycleContext): Transition {
  if (inst.state !== 'STARTING' || inst.pid === null || !announces(ctx) || inst.startSecsDone) return same(inst);
  const why = `not ready ${secs(ctx.policy.startTimeout ?? DEFAULT_START_TIMEOUT_MS)} after start (start-timeout): it never said it was ready`;
  const t = beginStop({ ...inst, error: why }, 'fail', ctx);
  return { ...t, note: why };
}

/** EXTEND_TIMEOUT_USEC: a vassal still starting gets this much more time from now. */
export function onExtendTimeout(inst: Instance, ms: number, ctx: LifecycleContext): Transition {
  if (inst.state !== 'STARTING' || inst.pid === null || !announces(ctx) || inst.startSecsDone) return same(inst);
  return { next: inst, effects: [{ type: 'set-timer', timer: 'start-timeout', ms }], note: null };
}

/** STATUS=...: kept for the stats while the process lives. */
export function onStatus(inst: Instance, text: string): Transition {
  if (!live(inst) || inst.statusText === text) return same(inst);
  return { next: { ...inst, statusText: text }, effects: [], note: null };
}

/** The vassal asks to be stopped (uWSGI's 22): a graceful stop that ends EXITED, not a crash, not a restart. */
export function onStopRequested(inst: Instance, why: string, ctx: LifecycleContext): Transition {
  if (!live(inst)) return same(inst);
  const t = beginStop({ ...inst, error: null, recovery: null }, 'exit', ctx);
  return { ...t, note: `${why}: stopping it; it stays EXITED until its file changes or \`emperorctl start\`` };
}
