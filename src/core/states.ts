// State names and their groupings, shared by the lifecycle, the snapshot and every view.

/** The states of one instance, as supervisord names them. */
export type InstanceStateName = 'STOPPED' | 'STARTING' | 'RUNNING' | 'BACKOFF' | 'STOPPING' | 'EXITED' | 'FATAL';

/** A vassal's state: its instances' worst, or INVALID when its file is unusable. */
export type VassalStateName = InstanceStateName | 'INVALID';

/** Every instance state, in display order. */
export const INSTANCE_STATES: readonly InstanceStateName[] = [
  'STOPPED',
  'STARTING',
  'RUNNING',
  'BACKOFF',
  'STOPPING',
  'EXITED',
  'FATAL',
];

/** Every vassal state, for totals and metrics. */
export const VASSAL_STATES: readonly VassalStateName[] = [...INSTANCE_STATES, 'INVALID'];

// Worst first: what an operator must look at before anything else.
const SEVERITY: readonly InstanceStateName[] = ['FATAL', 'BACKOFF', 'STOPPING', 'STARTING', 'EXITED', 'STOPPED', 'RUNNING'];

/** The worst of several instance states (STOPPED for none). */
export function worstState(states: Iterable<InstanceStateName>): InstanceStateName {
  let best = SEVERITY.length;
  for (const s of states) best = Math.min(best, SEVERITY.indexOf(s));
  return SEVERITY[best] ?? 'STOPPED';
}

/** States in which the instance has (or may have) a live process. */
export function hasProcess(state: InstanceStateName): boolean {
  return state === 'STARTING' || state === 'RUNNING' || state === 'STOPPING';
}
