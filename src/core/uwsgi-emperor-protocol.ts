// The uWSGI Emperor protocol (uwsgi-docs EmperorProtocol.rst, uWSGI core/emperor.c): one byte per message.
import type { LifecycleEvent } from './lifecycle-types.ts';

/** To the vassal: stop at once (kill_them_all), what uWSGI before 2.0.19 understands. */
export const EMPEROR_STOP_NOW = 0;
/** To the vassal: reload (the master re-executes itself, keeping its pid) / from it: spawned, its master is up. */
export const EMPEROR_RELOAD = 1;
/** To the vassal: stop gracefully (gracefully_kill_them_all, uWSGI 2.0.19 and later). */
export const EMPEROR_STOP = 2;

/** The uWSGI Emperor's `emperor-required-heartbeat` default: a vassal silent this long after its first heartbeat is restarted. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;

/** One byte from a vassal, decoded. */
export type VassalByte =
  | { kind: 'spawned' }
  | { kind: 'accepting' }
  | { kind: 'loyal' }
  | { kind: 'voluntary-shutdown' }
  | { kind: 'heartbeat' }
  | { kind: 'broodlord' }
  | { kind: 'config-request' }
  | { kind: 'unknown'; byte: number };

/** Decodes one byte a vassal wrote on its UWSGI_EMPEROR_FD. */
export function decodeVassalByte(byte: number): VassalByte {
  switch (byte) {
    case 1:
      return { kind: 'spawned' };
    case 2:
      return { kind: 'config-request' };
    case 5:
      return { kind: 'accepting' };
    case 17:
      return { kind: 'loyal' };
    case 22:
      return { kind: 'voluntary-shutdown' };
    case 26:
      return { kind: 'heartbeat' };
    case 30:
      return { kind: 'broodlord' };
    default:
      return { kind: 'unknown', byte };
  }
}

/**
 * What one byte means to the lifecycle. A vassal with workers is ready on 5 (its first worker
 * accepts); one without (a router or gateway only) never sends 5 and is judged by start-secs.
 */
export function vassalByteEvent(msg: VassalByte): { event: LifecycleEvent | null; note: string | null } {
  switch (msg.kind) {
    case 'accepting':
      return { event: { type: 'ready', how: 'uWSGI 5: accepting requests' }, note: null };
    case 'heartbeat':
      return { event: { type: 'watchdog-ping' }, note: null };
    case 'voluntary-shutdown':
      return { event: { type: 'stop-requested', why: 'the vassal asked to be stopped (uWSGI 22)' }, note: null };
    case 'loyal':
      return { event: null, note: 'loyal: served its first request (uWSGI 17)' };
    case 'spawned':
      return { event: null, note: null };
    case 'broodlord':
      return { event: null, note: 'asked for Broodlord mode (uWSGI 30): refused, emperor has no Broodlord mode' };
    case 'config-request':
      return { event: null, note: 'asked for its configuration over the emperor pipe (uWSGI 2): refused, emperor passes the file with --ini' };
    case 'unknown':
      return { event: null, note: `sent an unknown Emperor protocol byte ${msg.byte}: ignored` };
  }
}
