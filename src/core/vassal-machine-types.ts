// The vassal machine's vocabulary: what a vassal knows of itself, the events it takes, the effects it asks for.
import type { Instance, LifecycleEvent } from './lifecycle-types.ts';
import type { VassalSpec } from '../config/spec.ts';
import type { SocketAddress } from '../config/socket-address.ts';
import type { ChangeKind } from './spec-change.ts';

/** An instance, named by an id the vassal gives it (an index can be held by two processes during a roll). */
export type InstanceId = number;

/**
 * What the operator (or the file) wants: `stopped` (never started, or held by a stop until a start or a
 * file change), `run`, or `retired` (removed, or the emperor shuts down: nothing starts it again).
 */
export type Intent = 'stopped' | 'run' | 'retired';

/** A rolling restart in progress: indexes still to replace, the one being replaced, and whether replacements start first. */
export interface Roll {
  queue: readonly number[];
  current: number | null;
  /** with `socket`: each replacement starts beside the instance it replaces (old and new share the socket). */
  surge: boolean;
}

/** A replacement started beside instance `index`, which it takes over once RUNNING, or fails by `boundMs`. */
export interface Replacement {
  index: number;
  id: InstanceId;
  boundMs: number;
}

/** Everything the vassal level decides from. Instances' own states live in the lifecycle (see `VassalContext`). */
export interface VassalState {
  intent: Intent;
  /** names of dependencies not RUNNING yet; the vassal waits STOPPED meanwhile. */
  waitingFor: readonly string[];
  /** a same-port address change stopped every instance: start once none has a process (a stop calls it off). */
  startWhenQuiet: boolean;
  /** someone waits for the moment no instance has a process (a stop, a removal). */
  awaitingQuiet: boolean;
  /** the instances, in index order. */
  slots: readonly InstanceId[];
  /** instances that are no instance any more (fewer instances, replaced, a failed replacement) until their process is gone. */
  retiring: readonly InstanceId[];
  roll: Roll | null;
  replacement: Replacement | null;
  /** the process a replacement took over from, while it drains: the next replacement waits for it. */
  draining: InstanceId | null;
  /** a replacement until it takes over, and the process it replaced while that drains: pids, not instances. */
  surplus: readonly InstanceId[];
  /** why the last rolling restart stopped, if it did. */
  rollError: string | null;
  nextId: InstanceId;
}

/** What can happen to a vassal. */
export type VassalEvent =
  | { type: 'resize' }
  | { type: 'start' }
  | { type: 'dependencies'; missing: readonly string[] }
  | { type: 'stop'; retire: boolean }
  | { type: 'retire' }
  | { type: 'restart' }
  | { type: 'change'; kind: ChangeKind; first: boolean; formerSocket: SocketAddress | null }
  | { type: 'instance-changed'; id: InstanceId }
  | { type: 'roll-deadline'; id: InstanceId }
  | { type: 'await-quiet' }
  | { type: 'release' }
  | { type: 'dispose' };

/** A vassal-level event line (instance transitions have their own). */
export interface EventLine {
  level: 'info' | 'warn' | 'error';
  instance?: number;
  message: string;
}

/** What the runner must do, as data. */
export type VassalEffect =
  | { type: 'create'; id: InstanceId; index: number }
  | { type: 'dispatch'; id: InstanceId; event: LifecycleEvent }
  /** the reload signal to an instance's main process. */
  | { type: 'signal'; id: InstanceId; signal: string }
  /** the replacement takes over the history (restarts, last exit) of the instance it replaces. */
  | { type: 'inherit'; id: InstanceId; from: InstanceId }
  /** the new spec's supervision keys apply to this instance's process at once. */
  | { type: 'adopt-spec'; id: InstanceId }
  /** the instance's timers go and it is forgotten. */
  | { type: 'dispose'; id: InstanceId }
  /** leave its daemon running and stop watching it (the emperor shuts down). */
  | { type: 'release'; id: InstanceId }
  /** ask which dependencies are not RUNNING; the answer comes back as a `dependencies` event. */
  | { type: 'check-dependencies' }
  | { type: 'set-timer'; timer: 'roll-deadline'; id: InstanceId; ms: number }
  | { type: 'clear-timer'; timer: 'roll-deadline' }
  /** no instance has a process: whoever waited for that may go on. */
  | { type: 'quiet' }
  /** an instance changed and the vassal has taken it in: the fleet hears of it (dependents, views). */
  | { type: 'report' }
  | { type: 'event'; line: EventLine };

/** Facts the runner supplies with each event: the spec of now and every instance's lifecycle state by id. */
export interface VassalContext {
  spec: VassalSpec | null;
  instances: ReadonlyMap<InstanceId, Readonly<Instance>>;
}

/** The outcome of one event. */
export interface VassalTransition {
  state: VassalState;
  effects: VassalEffect[];
}

/** The one empty list every vassal state shares (an empty array is 32 bytes, and a state has four lists). */
export const NONE: readonly never[] = Object.freeze([]);

/** A vassal with no instance yet, never started. */
export function initialVassal(): VassalState {
  return vassalState({ intent: 'stopped', waitingFor: NONE, startWhenQuiet: false, awaitingQuiet: false, slots: NONE, retiring: NONE, roll: null, replacement: null, draining: null, surplus: NONE, rollError: null, nextId: 0 });
}

// An empty list as the shared one.
const listOf = <T>(a: readonly T[]): readonly T[] => (a.length === 0 ? NONE : a);

// The slots of a vassal whose one instance is its first, as most vassals' are: one shared list (a list of
// its own and its elements were 56 bytes a vassal).
const FIRST_ONLY: readonly InstanceId[] = Object.freeze([0]);
const slotsOf = (a: readonly InstanceId[]): readonly InstanceId[] => (a.length === 1 && a[0] === 0 ? FIRST_ONLY : listOf(a));

/**
 * `s` as one object literal with every field in it, its empty lists (and `[0]` slots) the shared ones: a
 * spread's copy keeps most of its fields in a separate property array (88 bytes more per vassal, for its life).
 */
export function vassalState(s: VassalState): VassalState {
  return {
    intent: s.intent,
    waitingFor: listOf(s.waitingFor),
    startWhenQuiet: s.startWhenQuiet,
    awaitingQuiet: s.awaitingQuiet,
    slots: slotsOf(s.slots),
    retiring: listOf(s.retiring),
    roll: s.roll,
    replacement: s.replacement,
    draining: s.draining,
    surplus: listOf(s.surplus),
    rollError: s.rollError,
    nextId: s.nextId,
  };
}
