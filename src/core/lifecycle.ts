// The instance lifecycle as one pure function: (state, event, context) -> (state, effects).
import type { Instance, LifecycleContext, LifecycleEvent, Transition } from './lifecycle-types.ts';
import { beginStop, failedStart, finishStop, onExit, same, spawnNow } from './lifecycle-steps.ts';
import { onHealth, onOverMemory } from './lifecycle-health.ts';
import {
  onExtendTimeout, onReady, onStartTimeout, onStatus, onStopRequested, onWatchdogPing, onWatchdogTimer, startDeadline,
} from './lifecycle-ready.ts';

export type {
  Effect, ExitInfo, Instance, LifecycleContext, LifecycleEvent, LifecyclePolicy, TimerName, Transition,
} from './lifecycle-types.ts';
export { initialInstance } from './lifecycle-types.ts';
export { MIN_STABLE_MS } from './lifecycle-steps.ts';
export { DEFAULT_START_TIMEOUT_MS } from './lifecycle-ready.ts';

/** How often a stopping instance whose leader is gone checks that its process group is empty. */
export const GROUP_POLL_MS = 25;

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
      if (ctx.policy.startSecs <= 0 && ctx.policy.readiness !== 'announce') {
        const started: Instance = { ...inst, pid: ev.pid, spawnedAt: ctx.now, startSecsDone: true };
        if (ctx.policy.healthCheck) return { next: started, effects: [], note: null };
        return { next: { ...started, state: 'RUNNING', error: null }, effects: [], note: null };
      }
      return {
        next: { ...inst, pid: ev.pid, spawnedAt: ctx.now },
        effects: [startDeadline(ctx)],
        note: null,
      };

    case 'spawn-failed':
      if (s === 'STARTING') return failedStart({ ...inst, pid: null, spawnedAt: null }, ctx, ev.error, ev.error);
      if (s === 'STOPPING') return finishStop({ ...inst, pid: null }, ctx);
      return same(inst);

    case 'exited':
      if (s === 'STARTING' || s === 'RUNNING') return onExit(inst, ev, ctx);
      if (s === 'STOPPING') {
        const ended: Instance = { ...inst, pid: null, lastExit: { code: ev.code, signal: ev.signal, at: ctx.now } };
        if (ev.groupAlive) {
          return { next: ended, effects: [{ type: 'set-timer', timer: 'group-poll', ms: GROUP_POLL_MS }], note: null };
        }
        return finishStop(ended, ctx);
      }
      return same(inst);

    case 'health':
      return onHealth(inst, ev, ctx);

    case 'over-memory':
      return onOverMemory(inst, ev, ctx);

    case 'ready':
      return onReady(inst, ev.how, ctx);

    case 'watchdog-ping':
      return onWatchdogPing(inst, ctx);

    case 'status':
      return onStatus(inst, ev.text);

    case 'stop-requested':
      return onStopRequested(inst, ev.why, ctx);

    case 'extend-timeout':
      return onExtendTimeout(inst, ev.ms, ctx);

    case 'timer':
      switch (ev.timer) {
        case 'start-secs':
          if (s !== 'STARTING' || inst.pid === null) return same(inst);
          if (ctx.policy.readiness === 'announce') return same(inst);
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
        case 'start-timeout':
          return onStartTimeout(inst, ctx);
        case 'watchdog':
          return onWatchdogTimer(inst, ctx);
        case 'group-poll':
          if (s !== 'STOPPING' || inst.pid !== null) return same(inst);
          if (ev.groupAlive) return { next: inst, effects: [{ type: 'set-timer', timer: 'group-poll', ms: GROUP_POLL_MS }], note: null };
          return finishStop(inst, ctx);
      }
  }
}
