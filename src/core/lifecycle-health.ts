// The restarts the lifecycle decides on its own: a failing health check, a process over its memory limit.
import type { Instance, LifecycleContext, Transition } from './lifecycle-types.ts';
import { beginStop, same } from './lifecycle-steps.ts';

/** A health check result: RUNNING once it passes, a restart after health-retries failures in a row. */
export function onHealth(inst: Instance, ev: { ok: boolean; message: string }, ctx: LifecycleContext): Transition {
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

/** A RUNNING process over max-rss is restarted; one that is still starting is judged once it runs. */
export function onOverMemory(inst: Instance, ev: { rss: number; limit: number }, ctx: LifecycleContext): Transition {
  if (inst.state !== 'RUNNING') return same(inst);
  const mb = (n: number): string => `${Math.round(n / 1048576)} MB`;
  const why = `using ${mb(ev.rss)} of resident memory, over max-rss ${mb(ev.limit)}: restarted`;
  const t = beginStop({ ...inst, error: why, recovery: why }, 'recover', ctx);
  return { ...t, note: why };
}
