// Validates one control request line: anything a client sends is checked before it is acted on.
import { PROTOCOL_VERSION, type ControlRequest } from './protocol.ts';

const ACTIONS = new Set(['start', 'stop', 'restart', 'reload']);

const isNames = (x: unknown): x is string[] => Array.isArray(x) && x.every((n) => typeof n === 'string');

/** Parses a request line, or says what is wrong with it. */
export function parseRequest(line: string): { ok: true; request: ControlRequest } | { ok: false; code: 'bad-request' | 'version'; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, code: 'bad-request', message: 'not JSON: send one JSON object per line' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, code: 'bad-request', message: 'a request is a JSON object' };
  const r = raw as Record<string, unknown>;
  if (r.v !== PROTOCOL_VERSION) return { ok: false, code: 'version', message: `protocol version ${String(r.v)} is not supported; this emperor speaks v${PROTOCOL_VERSION}` };
  const v = PROTOCOL_VERSION;
  switch (r.cmd) {
    case 'status':
      // `view` other than "table" is ignored, as every field a status request carried before views existed.
      return { ok: true, request: r.view === 'table' ? { v, cmd: 'status', view: 'table' } : { v, cmd: 'status' } };
    case 'rescan':
    case 'fleet':
      return { ok: true, request: { v, cmd: r.cmd } };
    case 'signal':
      if (typeof r.signal !== 'string' || !isNames(r.names) || r.names.length === 0) break;
      return { ok: true, request: { v, cmd: 'signal', signal: r.signal, names: r.names } };
    case 'events':
      if (!isNames(r.names ?? []) || (r.since_ms !== undefined && (typeof r.since_ms !== 'number' || !(r.since_ms >= 0)))) break;
      return { ok: true, request: { v, cmd: 'events', names: (r.names ?? []) as string[], ...(r.since_ms !== undefined ? { since_ms: r.since_ms as number } : {}) } };
    case 'run':
      if (typeof r.name !== 'string' || r.name === '') break;
      return { ok: true, request: { v, cmd: 'run', name: r.name } };
    case 'logs':
      if (typeof r.name !== 'string' || typeof r.lines !== 'number' || !Number.isInteger(r.lines) || r.lines < 0) break;
      return { ok: true, request: { v, cmd: 'logs', name: r.name, lines: r.lines, follow: r.follow === true } };
    default:
      if (typeof r.cmd === 'string' && ACTIONS.has(r.cmd)) {
        const all = r.all === true;
        const names = r.names === undefined ? [] : r.names;
        if (!isNames(names) || (!all && names.length === 0)) break;
        return { ok: true, request: { v, cmd: r.cmd as 'start', names, all } };
      }
      return { ok: false, code: 'bad-request', message: `unknown command ${JSON.stringify(r.cmd)}` };
  }
  return { ok: false, code: 'bad-request', message: `malformed ${String(r.cmd)} request` };
}
