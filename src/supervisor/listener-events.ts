// supervisord's events from emperor's: PROCESS_STATE_* payloads as events.py builds them, TICK_* slices, the envelope.
import type { LiveEvent } from '../runtime/event-log.ts';

/** One event as a listener receives it: its type name and payload. */
export interface SupEvent {
  type: string;
  payload: string;
}

/** What an instance transition needs besides the event itself. */
export interface StateContext {
  processName: string;
  groupName: string;
  /** whether an exit with this code and signal is among the program's exitcodes. */
  expected(code: number | null, signal: string | null): boolean;
}

/** Per process: supervisord's `backoff` counter (failed starts in a row) and the last state a listener was told. */
export type TriesTable = Map<string, { tries: number; last: string }>;

const STATES = new Set(['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN']);

function stateEvent(to: string, from: string, ctx: StateContext, extra: Array<[string, string | number]>): SupEvent {
  const fields: Array<[string, string | number]> = [['processname', ctx.processName], ['groupname', ctx.groupName], ['from_state', from], ...extra];
  return { type: `PROCESS_STATE_${to}`, payload: fields.map(([k, v]) => `${k}:${v}`).join(' ') };
}

/**
 * The PROCESS_STATE events of one instance transition. emperor restarts a crashed RUNNING process
 * in one step (RUNNING -> STARTING, with the exit); supervisord goes through EXITED, so that is sent first.
 */
export function processStateEvents(ev: LiveEvent, ctx: StateContext, table: TriesTable): SupEvent[] {
  const { state } = ev;
  if (ev.instance === undefined || ev.from === undefined || state === undefined) return [];
  const key = `${ctx.groupName}\0${ctx.processName}`;
  const known = table.get(key);
  // emperor reports STARTING once the pid is known (STARTING -> STARTING): the state before is the last one told.
  const from = ev.from === 'STARTING' && state === 'STARTING' ? (known?.last ?? 'STOPPED') : ev.from;
  if (from === state || !STATES.has(state) || !STATES.has(from)) return [];
  const counts = new Map<string, number>([[key, known?.tries ?? 0]]);
  const tries = { get: (k: string) => counts.get(k), set: (k: string, n: number) => counts.set(k, n) };
  const pid = ev.pid ?? 0;
  const exited = (ev.code ?? null) !== null || (ev.signal ?? null) !== null;
  const out: SupEvent[] = [];
  let previous = from;
  if (state === 'STARTING' && (from === 'RUNNING' || from === 'STOPPING') && exited) {
    out.push(stateEvent('EXITED', from, ctx, [['expected', ctx.expected(ev.code ?? null, ev.signal ?? null) ? 1 : 0], ['pid', pid]]));
    tries.set(key, 0);
    previous = 'EXITED';
  }
  switch (state) {
    case 'STARTING':
      out.push(stateEvent(state, previous, ctx, [['tries', tries.get(key) ?? 0]]));
      break;
    case 'BACKOFF': {
      const n = (tries.get(key) ?? 0) + 1;
      tries.set(key, n);
      out.push(stateEvent(state, previous, ctx, [['tries', n]]));
      break;
    }
    case 'EXITED':
      out.push(stateEvent(state, previous, ctx, [['expected', ctx.expected(ev.code ?? null, ev.signal ?? null) ? 1 : 0], ['pid', pid]]));
      tries.set(key, 0);
      break;
    case 'FATAL':
    case 'UNKNOWN':
      out.push(stateEvent(state, previous, ctx, []));
      tries.set(key, 0);
      break;
    default:
      out.push(stateEvent(state, previous, ctx, [['pid', pid]]));
      if (state === 'RUNNING' || state === 'STOPPED') tries.set(key, 0);
  }
  table.set(key, { tries: counts.get(key) ?? 0, last: state });
  return out;
}

/** The tick periods supervisord sends, in seconds. */
export const TICK_PERIODS = [5, 60, 3600] as const;

/** supervisord's timeslice: the start of the period holding `now` (Unix seconds). */
export function timeslice(period: number, now: number): number {
  return Math.floor(now - (now % period));
}

/** The TICK events due when time goes from `last` slices to `now`; updates `last`. */
export function dueTicks(last: Map<number, number>, now: number): SupEvent[] {
  const out: SupEvent[] = [];
  for (const period of TICK_PERIODS) {
    const slice = timeslice(period, now);
    const before = last.get(period);
    last.set(period, slice);
    if (before !== undefined && slice > before) out.push({ type: `TICK_${period}`, payload: `when:${slice}` });
  }
  return out;
}

/** A PROCESS_LOG_STDOUT/STDERR event (events.py ProcessLogEvent). */
export function logEvent(channel: 'stdout' | 'stderr', processName: string, groupName: string, pid: number, data: string): SupEvent {
  return { type: `PROCESS_LOG_${channel.toUpperCase()}`, payload: `processname:${processName} groupname:${groupName} pid:${pid} channel:${channel}\n${data}` };
}

/** The header line and payload a listener reads (dispatchers' _eventEnvelope); `len` counts bytes. */
export function envelope(ev: SupEvent, serial: number, pool: string, poolSerial: number): string {
  const len = Buffer.byteLength(ev.payload);
  return `ver:3.0 server:supervisor serial:${serial} pool:${pool} poolserial:${poolSerial} eventname:${ev.type} len:${len}\n${ev.payload}`;
}
