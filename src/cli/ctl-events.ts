// `emperorctl events`: the emperor's events as they happen, one line each (or one JSON object per line).
import { PROTOCOL_VERSION, type ControlResponse, type StreamEvent } from '../control/protocol.ts';
import { converse } from './ctl-client.ts';
import { useColour } from './ctl-format.ts';

const COLOURS: Record<string, string> = { RUNNING: '32', STARTING: '36', STOPPING: '36', BACKOFF: '33', FATAL: '31;1', INVALID: '31;1', EXITED: '33' };

/** One event as a line for a person: time, who, the state it left and entered, pid, exit, message. */
export function formatEvent(ev: StreamEvent, colour: boolean): string {
  const paint = (code: string | undefined, text: string): string => (colour && code !== undefined ? `\x1b[${code}m${text}\x1b[0m` : text);
  const parts = [paint('2', new Date(ev.time).toISOString())];
  if (ev.vassal === undefined) parts.push('emperor:');
  else parts.push(ev.instance === undefined ? `${ev.vassal}:` : `${ev.vassal}[${ev.instance}]:`);
  if (ev.level !== 'info') parts.push(paint(ev.level === 'error' ? '31' : '33', ev.level.toUpperCase()));
  if (ev.state !== undefined) parts.push(ev.from !== undefined && ev.from !== ev.state ? `${ev.from} -> ${paint(COLOURS[ev.state], ev.state)}` : paint(COLOURS[ev.state], ev.state));
  if (ev.pid != null) parts.push(`pid=${ev.pid}`);
  if (ev.code != null) parts.push(`code=${ev.code}`);
  if (ev.signal != null) parts.push(`signal=${ev.signal}`);
  if (ev.message) parts.push(ev.message);
  return parts.join(' ');
}

/** How the stream ended: refused (the emperor's reply), dropped for reading slowly, or closed by the emperor. */
export type EventsEnd = { kind: 'refused'; reply: ControlResponse } | { kind: 'dropped'; note: string } | { kind: 'closed' };

/** Follows the events of `names` (all when empty) until interrupted, printing each; `sinceMs` replays the recent ones first. */
export async function followEventStream(socket: string, names: string[], sinceMs: number | null, json: boolean, out: (text: string) => void): Promise<EventsEnd> {
  const colour = !json && useColour(process.stdout.isTTY, process.env);
  let end: EventsEnd = { kind: 'closed' };
  let first = true;
  await converse(socket, { v: PROTOCOL_VERSION, cmd: 'events', names, ...(sinceMs !== null ? { since_ms: sinceMs } : {}) }, (msg) => {
    if (first) {
      first = false;
      if ('ok' in msg && !msg.ok) {
        end = { kind: 'refused', reply: msg };
        return false;
      }
      return true;
    }
    if ('event' in msg) out((json ? JSON.stringify(msg.event) : formatEvent(msg.event, colour)) + '\n');
    else if ('line' in msg) end = { kind: 'dropped', note: msg.line };
    return true;
  });
  return end;
}
