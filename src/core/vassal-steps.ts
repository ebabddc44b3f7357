// The steps several vassal events share: a draft to build a transition in, instances' states, resize, start, stop.
import { hasProcess, type InstanceStateName } from './states.ts';
import type { LifecycleEvent } from './lifecycle-types.ts';
import { vassalState, type EventLine, type InstanceId, type VassalContext, type VassalEffect, type VassalState, type VassalTransition } from './vassal-machine-types.ts';

/** A transition being built: the state so far (replaced, never mutated) and the effects in order. */
export interface Draft {
  st: VassalState;
  readonly effects: VassalEffect[];
  readonly ctx: VassalContext;
}

/** A fresh draft over `st`. */
export const draft = (st: VassalState, ctx: VassalContext): Draft => ({ st, effects: [], ctx });

/** The transition a draft built. */
export const done = (d: Draft): VassalTransition => ({ state: d.st, effects: d.effects });

/** Replaces some fields of the draft's state. */
export function set(d: Draft, fields: Partial<VassalState>): void {
  d.st = vassalState({ ...d.st, ...fields });
}

/** An instance's lifecycle state (STOPPED for one the runner has not created yet, or has forgotten). */
export function stateOf(d: Draft, id: InstanceId): InstanceStateName {
  return d.ctx.instances.get(id)?.state ?? 'STOPPED';
}

/** An instance's pid, for event lines. */
export function pidOf(d: Draft, id: InstanceId | undefined): number | string {
  return (id === undefined ? null : d.ctx.instances.get(id)?.pid) ?? '-';
}

/** Every instance that may have a process: the instances, the retiring and a replacement starting. */
export function everyId(st: VassalState): InstanceId[] {
  const all = [...st.slots, ...st.retiring];
  if (st.replacement !== null) all.push(st.replacement.id);
  return all;
}

/** Whether no instance has a process left. */
export function isQuiet(d: Draft): boolean {
  return everyId(d.st).every((id) => !hasProcess(stateOf(d, id)));
}

/** Feeds a lifecycle event to one instance. */
export function dispatch(d: Draft, id: InstanceId, event: LifecycleEvent): void {
  d.effects.push({ type: 'dispatch', id, event });
}

/** Writes a vassal-level event line. */
export function line(d: Draft, l: EventLine): void {
  d.effects.push({ type: 'event', line: l });
}

/** Makes an instance no instance any more; it is kept until its process is gone. */
export function retire(d: Draft, id: InstanceId): void {
  set(d, { retiring: [...d.st.retiring, id] });
}

/** Forgets the retiring whose process is gone. */
export function dropRetired(d: Draft): void {
  const gone = d.st.retiring.filter((id) => {
    const s = stateOf(d, id);
    return s === 'STOPPED' || s === 'EXITED' || s === 'FATAL';
  });
  if (gone.length === 0) return;
  for (const id of gone) d.effects.push({ type: 'dispose', id });
  set(d, {
    retiring: d.st.retiring.filter((id) => !gone.includes(id)),
    surplus: d.st.surplus.filter((id) => !gone.includes(id)),
  });
}

/** As many instances as the spec says: new ones are created stopped, the last ones retire and stop. */
export function resize(d: Draft): void {
  const count = d.ctx.spec?.instances ?? d.st.slots.length;
  const slots = [...d.st.slots];
  let nextId = d.st.nextId;
  while (slots.length < count) {
    d.effects.push({ type: 'create', id: nextId, index: slots.length });
    slots.push(nextId++);
  }
  const dropped = slots.splice(count);
  // A copy of its exact size: an array that was pushed to keeps room for 17 (152 bytes a vassal, for its life).
  set(d, { slots: slots.slice(), nextId });
  for (const id of dropped.reverse()) {
    retire(d, id);
    dispatch(d, id, { type: 'stop' });
  }
  dropRetired(d);
}

/** Wanted from now on: asks for the dependencies (the answer starts it, or makes it wait). */
export function start(d: Draft): void {
  if (d.st.intent === 'retired') return;
  set(d, { intent: 'run' });
  d.effects.push({ type: 'check-dependencies' });
}

/** Every instance, the retiring and a replacement included, stops. */
export function stopEvery(d: Draft): void {
  for (const id of everyId(d.st)) dispatch(d, id, { type: 'stop' });
}

/** The `quiet` effect when someone waits for it and no instance has a process. */
export function settleQuiet(d: Draft): void {
  if (d.st.awaitingQuiet && isQuiet(d)) {
    set(d, { awaitingQuiet: false });
    d.effects.push({ type: 'quiet' });
  }
}
