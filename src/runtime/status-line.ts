// The one-line summary systemd shows in `systemctl status` (STATUS=): vassals counted by state.
import { VASSAL_STATES } from '../core/states.ts';
import type { Vassal } from './vassal.ts';

/** `3 vassals: 2 RUNNING, 1 BACKOFF` (states in SPEC order, only those with vassals). */
export function statusLine(vassals: Iterable<Pick<Vassal, 'state'>>): string {
  const counts = new Map<string, number>();
  let total = 0;
  for (const v of vassals) {
    counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
    total++;
  }
  const parts = VASSAL_STATES.filter((s) => (counts.get(s) ?? 0) > 0).map((s) => `${counts.get(s)} ${s}`);
  return `${total} vassal${total === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}
