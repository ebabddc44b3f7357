// systemd's notification messages (sd_notify(3)) as data: one datagram of KEY=VALUE lines -> what it says.
import type { LifecycleEvent } from './lifecycle-types.ts';

/** One assignment of a notification the emperor acts on; anything else is ignored, as systemd ignores it. */
export type NotifyMessage =
  | { kind: 'ready' }
  | { kind: 'reloading' }
  | { kind: 'stopping' }
  | { kind: 'status'; text: string }
  | { kind: 'watchdog' }
  /** WATCHDOG=trigger: the vassal asks for the watchdog's action now. */
  | { kind: 'watchdog-trigger' }
  | { kind: 'mainpid'; pid: number }
  | { kind: 'extend-timeout'; ms: number }
  | { kind: 'errno'; errno: number };

/** The most a STATUS= shown in the stats may hold (characters). */
export const MAX_STATUS_CHARS = 512;

const positiveInt = (v: string): number | null => (/^[0-9]{1,15}$/.test(v) && Number(v) > 0 ? Number(v) : null);

/** Parses one datagram; lines that are not KEY=VALUE, unknown keys and bad numbers are dropped. */
export function parseNotify(text: string): NotifyMessage[] {
  const out: NotifyMessage[] = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    switch (key) {
      case 'READY':
        if (value === '1') out.push({ kind: 'ready' });
        break;
      case 'RELOADING':
        if (value === '1') out.push({ kind: 'reloading' });
        break;
      case 'STOPPING':
        if (value === '1') out.push({ kind: 'stopping' });
        break;
      case 'STATUS':
        out.push({ kind: 'status', text: value.length > MAX_STATUS_CHARS ? value.slice(0, MAX_STATUS_CHARS) : value });
        break;
      case 'WATCHDOG':
        if (value === '1') out.push({ kind: 'watchdog' });
        else if (value === 'trigger') out.push({ kind: 'watchdog-trigger' });
        break;
      case 'MAINPID': {
        const pid = positiveInt(value);
        if (pid !== null && pid > 1) out.push({ kind: 'mainpid', pid });
        break;
      }
      case 'EXTEND_TIMEOUT_USEC': {
        const usec = positiveInt(value);
        if (usec !== null) out.push({ kind: 'extend-timeout', ms: Math.ceil(usec / 1000) });
        break;
      }
      case 'ERRNO': {
        const errno = positiveInt(value);
        if (errno !== null) out.push({ kind: 'errno', errno });
        break;
      }
    }
  }
  return out;
}

/** What one message means to the lifecycle, and a line for the event log (reloading, stopping, errno, mainpid). */
export function notifyEvent(m: NotifyMessage): { event: LifecycleEvent | null; note: string | null } {
  switch (m.kind) {
    case 'ready':
      return { event: { type: 'ready', how: 'READY=1' }, note: null };
    case 'reloading':
      return { event: null, note: 'reloading (RELOADING=1)' };
    case 'stopping':
      return { event: null, note: 'stopping (STOPPING=1)' };
    case 'status':
      return { event: { type: 'status', text: m.text }, note: null };
    case 'watchdog':
      return { event: { type: 'watchdog-ping' }, note: null };
    case 'watchdog-trigger':
      return { event: { type: 'timer', timer: 'watchdog', groupAlive: true }, note: 'asked for its watchdog action (WATCHDOG=trigger)' };
    case 'mainpid':
      return { event: null, note: `says its main process is pid ${m.pid} (MAINPID)` };
    case 'extend-timeout':
      return { event: { type: 'extend-timeout', ms: m.ms }, note: null };
    case 'errno':
      return { event: null, note: `reports errno ${m.errno} (ERRNO)` };
  }
}
