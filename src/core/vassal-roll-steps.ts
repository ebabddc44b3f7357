// A vassal's rolling restart: its instances replaced one at a time, with `socket` each replacement first.
import { hasProcess } from './states.ts';
import type { InstanceId, Replacement } from './vassal-machine-types.ts';
import { dispatch, line, pidOf, retire, set, stateOf, type Draft } from './vassal-steps.ts';

/** Slack over start-secs (and the health probes) before a replacement that is still STARTING counts as failed. */
export const REPLACEMENT_SLACK_MS = 1000;

/** Starts a rolling restart over every instance, in place of any in progress. */
export function beginRoll(d: Draft): void {
  set(d, { rollError: null });
  // A process still draining from the last roll counts: the next replacement waits for it too.
  // A replacement still starting runs the version before this one: it goes too.
  retireReplacement(d, true);
  set(d, { roll: { queue: d.st.slots.map((_, i) => i), current: null, surge: (d.ctx.spec?.socket ?? null) !== null } });
  advanceRoll(d);
}

/** Ends the roll; a replacement still starting joins the retiring (the caller stops every instance). */
export function cancelRoll(d: Draft): void {
  set(d, { roll: null, draining: null });
  retireReplacement(d, false);
}

/** Whether the roll waits for instance `id`: its change may let it go on. */
export function rollWaitsOn(d: Draft, id: InstanceId): boolean {
  const { draining, replacement, roll, retiring, slots } = d.st;
  if (draining === id || replacement?.id === id) return true;
  return roll !== null && roll.current !== null && slots[roll.current] === id && !retiring.includes(id);
}

/** Goes on with the roll as far as the instances' states allow. */
export function advanceRoll(d: Draft): void {
  if (d.st.roll === null) return;
  const rep = d.st.replacement;
  if (rep !== null && !settleReplacement(d, rep)) return;
  const roll = d.st.roll;
  if (roll === null) return;
  // At most one process beyond `instances` at any time: the next replacement starts once the
  // process the last one replaced has drained and exited.
  if (d.st.draining !== null) {
    if (hasProcess(stateOf(d, d.st.draining))) return;
    set(d, { draining: null });
  } else if (roll.current !== null) {
    const cur = d.st.slots[roll.current];
    const s = cur === undefined ? null : stateOf(d, cur);
    if (s === 'STARTING' || s === 'STOPPING') return;
    if (cur !== undefined && s !== 'RUNNING') {
      stopRoll(d, `instance ${roll.current} did not start (${d.ctx.instances.get(cur)?.error ?? s})`, roll.queue.length);
      return;
    }
  }
  const queue = [...roll.queue];
  for (let idx = queue.shift(); idx !== undefined; idx = queue.shift()) {
    const id = d.st.slots[idx];
    if (id === undefined) continue;
    const s = stateOf(d, id);
    set(d, { roll: { ...roll, queue: [...queue], current: idx } });
    if (roll.surge && (s === 'RUNNING' || s === 'STARTING')) {
      startReplacement(d, idx);
      return;
    }
    dispatch(d, id, { type: 'restart' });
    // Only a live instance is waited for; a stopped or failed one just starts.
    if (hasProcess(s)) return;
  }
  set(d, { roll: null });
}

/** The replacement's deadline passed: it fails unless RUNNING. */
export function onRollDeadline(d: Draft, id: InstanceId): void {
  const rep = d.st.replacement;
  if (rep?.id !== id || stateOf(d, id) === 'RUNNING') return;
  const error = d.ctx.instances.get(id)?.error ?? null;
  failReplacement(d, rep, `not RUNNING ${(rep.boundMs / 1000).toFixed(1)}s after its start (start-secs + health-retries x (health-interval + health-timeout) + 1s)${error === null ? '' : `: ${error}`}`);
}

function stopRoll(d: Draft, why: string, left: number): void {
  const rollError = `rolling restart stopped: ${why}` +
    (left > 0 ? `; ${left} instance${left === 1 ? '' : 's'} still run${left === 1 ? 's' : ''} the previous version` : '');
  set(d, { rollError, roll: null });
  line(d, { level: 'error', message: rollError });
}

// Starts a new process for instance `index` beside the old one; both take connections from the socket.
function startReplacement(d: Draft, index: number): void {
  const id = d.st.nextId;
  const spec = d.ctx.spec;
  const healthMs = spec?.healthCheck != null ? spec.healthRetries * (spec.healthInterval + spec.healthTimeout) : 0;
  const boundMs = (spec?.startSecs ?? 1000) + healthMs + REPLACEMENT_SLACK_MS;
  d.effects.push({ type: 'create', id, index });
  d.effects.push({ type: 'set-timer', timer: 'roll-deadline', id, ms: boundMs });
  set(d, { nextId: id + 1, surplus: [...d.st.surplus, id], replacement: { index, id, boundMs } });
  line(d, { level: 'info', instance: index, message: `rolling restart: starting a replacement beside pid ${pidOf(d, d.st.slots[index])}` });
  dispatch(d, id, { type: 'start' });
}

// True once the replacement took over its index (the roll goes on); false while it starts or after it failed.
function settleReplacement(d: Draft, rep: Replacement): boolean {
  const s = stateOf(d, rep.id);
  if (s === 'STARTING') return false;
  if (s !== 'RUNNING') {
    failReplacement(d, rep, d.ctx.instances.get(rep.id)?.error ?? s);
    return false;
  }
  d.effects.push({ type: 'clear-timer', timer: 'roll-deadline' });
  set(d, { replacement: null });
  const old = d.st.slots[rep.index];
  if (old === undefined) {
    // Its index went away (fewer instances): it is not needed.
    retire(d, rep.id);
    dispatch(d, rep.id, { type: 'stop' });
    return true;
  }
  d.effects.push({ type: 'inherit', id: rep.id, from: old });
  const slots = [...d.st.slots];
  slots[rep.index] = rep.id;
  set(d, { slots, surplus: [...d.st.surplus.filter((id) => id !== rep.id), old] });
  retire(d, old);
  line(d, { level: 'info', instance: rep.index, message: `rolling restart: replacement pid ${pidOf(d, rep.id)} is RUNNING; stopping pid ${pidOf(d, old)}` });
  // An old instance with no process left (it had exited) stops at once and is not waited for.
  dispatch(d, old, { type: 'stop' });
  if (hasProcess(stateOf(d, old))) set(d, { draining: old });
  return true;
}

function failReplacement(d: Draft, rep: Replacement, why: string): void {
  const left = (d.st.roll?.queue.length ?? 0) + 1;
  retireReplacement(d, true);
  stopRoll(d, `the replacement of instance ${rep.index} failed (${why}); it was stopped`, left);
}

// A replacement that will not take over joins the retiring until its process is gone; `stop` stops it.
function retireReplacement(d: Draft, stop: boolean): void {
  const rep = d.st.replacement;
  if (rep === null) return;
  d.effects.push({ type: 'clear-timer', timer: 'roll-deadline' });
  set(d, { replacement: null });
  retire(d, rep.id);
  if (stop) dispatch(d, rep.id, { type: 'stop' });
}
