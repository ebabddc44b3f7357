// What a changed vassal file means for its instances (SPEC section 4): restart, touch, supervision-only, same port.
import { hasProcess } from './states.ts';
import { formatSocketAddress, type SocketAddress } from '../config/socket-address.ts';
import type { ChangeKind } from './spec-change.ts';
import { socketsClash } from './socket-clash.ts';
import { beginRoll, cancelRoll } from './vassal-roll-steps.ts';
import { dispatch, everyId, line, resize, set, start, stateOf, stopEvery, type Draft } from './vassal-steps.ts';

/** Applies a changed file (the context's spec is the new one); `first`: the file was never usable before. */
export function applyChange(d: Draft, kind: ChangeKind, first: boolean, former: SocketAddress | null): void {
  const spec = d.ctx.spec;
  if (d.st.intent === 'retired' || spec === null) return;
  resize(d);
  // Supervision keys apply to running instances at once; a restart's new version comes with each replacement.
  if (kind !== 'restart') for (const id of everyId(d.st)) d.effects.push({ type: 'adopt-spec', id });
  const live = d.st.slots.some((id) => hasProcess(stateOf(d, id)));
  const wants = d.st.intent === 'run' || spec.autostart;
  if (kind === 'restart' || first || (kind === 'touch' && spec.reloadSignal === null)) {
    if (live && former !== null && spec.socket !== null && formatSocketAddress(former) !== formatSocketAddress(spec.socket) && socketsClash(former, spec.socket)) {
      // The old address holds the port (or path) the new one needs, in every old instance too:
      // no instance of the new version can start beside them. Stop them all, then start.
      line(d, {
        level: 'warn',
        message: `socket changes from ${formatSocketAddress(former)} to ${formatSocketAddress(spec.socket)} on the same ${spec.socket.kind === 'tcp' ? 'port' : 'path'}: every instance stops before the new address is bound (no rolling restart)`,
      });
      cancelRoll(d);
      stopEvery(d);
      // Still wanted (a change meanwhile finds it so); a stop before the last process is gone calls the start off.
      set(d, { intent: 'run', startWhenQuiet: true });
      return;
    }
    if (live) {
      set(d, { intent: 'run' });
      beginRoll(d);
    } else if (wants) start(d);
    return;
  }
  if (spec.reloadSignal !== null) {
    for (const id of d.st.slots) if (hasProcess(stateOf(d, id))) d.effects.push({ type: 'signal', id, signal: spec.reloadSignal });
  }
  // New supervision keys take effect: an instance past start-secs is judged again (say, without its health check).
  for (const id of d.st.slots) {
    const inst = d.ctx.instances.get(id);
    if (inst?.state === 'STARTING' && inst.startSecsDone) dispatch(d, id, { type: 'timer', timer: 'start-secs', groupAlive: false });
  }
  // A FATAL or EXITED vassal starts again when its file changes; added instances start too.
  if (wants) start(d);
}
