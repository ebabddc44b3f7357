// `emperorctl fleet`: the presence keys as a table, JSON keyed by host, or a Prometheus file_sd list.
import { PROTOCOL_VERSION, type FleetDocument } from '../control/protocol.ts';
import { request } from './ctl-client.ts';
import { failed } from './ctl-args.ts';

const STATES = ['RUNNING', 'STARTING', 'BACKOFF', 'FATAL', 'INVALID', 'STOPPED'];

/** Renders the fleet document. */
export function renderFleet(fleet: FleetDocument, how: 'table' | 'json' | 'sd'): string {
  const hosts = Object.keys(fleet).sort();
  if (how === 'json') return `${JSON.stringify(Object.fromEntries(hosts.map((h) => [h, fleet[h]])), null, 2)}\n`;
  if (how === 'sd') {
    const targets = hosts.flatMap((h) => {
      const m = fleet[h]?.metrics;
      return m == null ? [] : [{ targets: [m], labels: { host: h } }];
    });
    return `${JSON.stringify(targets, null, 2)}\n`;
  }
  const rows = [['HOST', 'VERSION', 'PID', 'METRICS', 'VASSALS', ...STATES]];
  for (const h of hosts) {
    const f = fleet[h];
    if (f === undefined) continue;
    rows.push([h, f.version, String(f.pid), f.metrics ?? '-', String(f.totals.vassals ?? 0), ...STATES.map((s) => String(f.totals[s] ?? 0))]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const text = rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
  return `${text}\n${hosts.length} host${hosts.length === 1 ? '' : 's'} live\n`;
}

/** Asks the emperor for the fleet and renders it (a refusal throws the exit it ends with). */
export async function renderFleetCommand(socket: string, how: 'table' | 'json' | 'sd'): Promise<string> {
  const reply = await request(socket, { v: PROTOCOL_VERSION, cmd: 'fleet' });
  const bad = failed(reply);
  if (bad !== null) throw bad;
  return renderFleet('result' in reply ? (reply.result as FleetDocument) : {}, how);
}
