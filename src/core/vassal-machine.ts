// The vassal level as one pure function: operator intent, file changes, dependencies, resizing, rolls, removal.
import { advanceRoll, beginRoll, cancelRoll, onRollDeadline, rollWaitsOn } from './vassal-roll-steps.ts';
import { applyChange } from './vassal-change.ts';
import { hasProcess } from './states.ts';
import { dispatch, done, draft, dropRetired, everyId, isQuiet, resize, set, settleQuiet, start, stateOf, stopEvery, type Draft } from './vassal-steps.ts';
import type { VassalContext, VassalEvent, VassalState, VassalTransition } from './vassal-machine-types.ts';

export type {
  EventLine, Intent, InstanceId, Replacement, Roll, VassalContext, VassalEffect, VassalEvent, VassalState, VassalTransition,
} from './vassal-machine-types.ts';
export { initialVassal } from './vassal-machine-types.ts';
export { REPLACEMENT_SLACK_MS } from './vassal-roll-steps.ts';

/** The one place a vassal decides what its instances do. Every event is handled in every state. */
export function vassalTransition(state: VassalState, ev: VassalEvent, ctx: VassalContext): VassalTransition {
  const d = draft(state, ctx);
  const retired = state.intent === 'retired';
  switch (ev.type) {
    case 'resize':
      resize(d);
      return done(d);

    case 'start':
      start(d);
      return done(d);

    case 'dependencies':
      // An answer to a start: a stop (or removal) since calls it off.
      if (state.intent !== 'run') return done(d);
      set(d, { waitingFor: [...ev.missing] });
      if (ev.missing.length === 0) for (const id of state.slots) dispatch(d, id, { type: 'start' });
      return done(d);

    case 'stop':
      set(d, { intent: ev.retire || retired ? 'retired' : 'stopped', startWhenQuiet: false });
      cancelRoll(d);
      stopEvery(d);
      return done(d);

    case 'retire':
      set(d, { intent: 'retired', startWhenQuiet: false });
      return done(d);

    case 'restart':
      if (retired) return done(d);
      set(d, { intent: 'run' });
      beginRoll(d);
      return done(d);

    case 'change':
      applyChange(d, ev.kind, ev.first, ev.formerSocket);
      return done(d);

    case 'instance-changed':
      return done(instanceChanged(d, ev.id));

    case 'roll-deadline':
      onRollDeadline(d, ev.id);
      return done(d);

    case 'await-quiet':
      set(d, { awaitingQuiet: true });
      settleQuiet(d);
      return done(d);

    case 'release':
      // The emperor shuts down: daemons live on, nothing is watched any more.
      set(d, { intent: retired ? 'retired' : 'stopped' });
      cancelRoll(d);
      for (const id of everyId(d.st)) d.effects.push({ type: 'release', id });
      return done(d);

    case 'dispose':
      cancelRoll(d);
      // The vassal is gone: every instance's timers go (the instances stay listed for a last look).
      for (const id of everyId(d.st)) d.effects.push({ type: 'dispose', id });
      return done(d);
  }
}

// An instance changed: the retiring whose process is gone go, the roll goes on, waiters hear of quiet.
function instanceChanged(d: Draft, id: number): Draft {
  // The roll waits for this instance, or for a drained process whose own change may come later than this one.
  const drained = d.st.draining !== null && !hasProcess(stateOf(d, d.st.draining));
  if (rollWaitsOn(d, id) || drained) advanceRoll(d);
  dropRetired(d);
  if (d.st.startWhenQuiet && isQuiet(d)) {
    set(d, { startWhenQuiet: false });
    if (d.st.intent === 'run') start(d);
  }
  settleQuiet(d);
  d.effects.push({ type: 'report' });
  return d;
}

