// Which of an instance's transitions get an event line, and what the line says.
import type { Instance } from '../core/lifecycle.ts';
import type { EventRecord } from './event-log.ts';

/** The event line for instance `index` of `vassal` going from `before` to `after`, or null when it gets none. */
export function transitionEvent(vassal: string, index: number, before: Instance, after: Instance, note: string | null): EventRecord | null {
  // STARTING is reported once the pid is known (or as the failure that follows).
  const spawning = after.state === 'STARTING' && after.pid === null;
  const gotPid = after.state === 'STARTING' && before.pid === null && after.pid !== null;
  if (!((before.state !== after.state && !spawning) || gotPid || note !== null)) return null;
  // The exit shown is the one that just happened, never an older one.
  const exit = after.lastExit !== before.lastExit ? after.lastExit : null;
  return {
    level: after.state === 'FATAL' || after.state === 'BACKOFF' ? 'warn' : 'info',
    vassal,
    instance: index,
    state: after.state,
    pid: after.pid ?? before.pid,
    code: exit?.code ?? null,
    signal: exit?.signal ?? null,
    message: note ?? undefined,
    from: before.state,
  };
}
