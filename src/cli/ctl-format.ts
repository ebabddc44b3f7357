// How emperorctl shows the stats document to a person: an aligned table, human units, colour on a TTY.
import type { StatsDocument, VassalStats } from '../control/protocol.ts';
import type { ContainmentKind } from './ctl-containment.ts';

/** What the status table shows of a vassal: a stats document's vassal, or one row of the table view. */
export type StatusRow = Pick<VassalStats, 'name' | 'state' | 'pids' | 'started_at' | 'restarts' | 'cpu_percent' | 'rss_bytes' | 'last_exit' | 'error' | 'status_text' | 'next_run'>;

/** What the status table shows: a stats document, or the table view of one (src/cli/ctl-table.ts). */
export interface StatusView extends Pick<StatsDocument, 'pid' | 'vassals_dir' | 'totals' | 'sources'> {
  vassals: StatusRow[];
}

/** Whether to colour: only on a TTY, never with NO_COLOR set (https://no-color.org). */
export function useColour(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

/** 3661 -> "1h1m"; 42 -> "42s". */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600) ? `${Math.floor((s % 86400) / 3600)}h` : ''}`;
}

/** 31457280 -> "30.0M". */
export function humanBytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`;
}

const COLOURS: Record<string, string> = {
  RUNNING: '32',
  STARTING: '36',
  STOPPING: '36',
  BACKOFF: '33',
  STOPPED: '2',
  EXITED: '2',
  FATAL: '31;1',
  INVALID: '31;1',
};

function lastExit(v: StatusRow, now: number): string {
  const e = v.last_exit;
  if (e === null) return '-';
  return (e.signal ?? 'code ' + (e.code ?? '?')) + ', ' + humanDuration(now - e.at) + ' ago';
}

function pidCell(v: StatusRow): string {
  const pids = v.pids;
  if (pids.length === 0) return '-';
  return pids.length === 1 ? String(pids[0]) : pids[0] + ' +' + (pids.length - 1);
}

/** How the summary's last line says the containment (when emperorctl could tell it). */
const CONTAINMENT_LINE: Record<ContainmentKind, string> = {
  cgroup: 'containment: a cgroup per vassal instance',
  'process-group': 'containment: process groups (a process that leaves its group escapes)',
};

const HEADER = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'RSS', 'LAST EXIT'];
const COLUMNS = HEADER.length;

/**
 * The status table, with the error on the line under each vassal that has one; the containment last when known.
 * Written for code that runs once per process (never compiled by the JIT): one pass to make the cells and
 * measure the columns, one to pad them, flat arrays, no closure or array per row.
 */
export function renderStatus(doc: StatusView, now: number, colour: boolean, containment: ContainmentKind | null = null): string {
  const vassals = doc.vassals;
  const cells: string[] = new Array<string>(vassals.length * COLUMNS);
  const widths = HEADER.map((h) => h.length);
  let w0 = widths[0] ?? 0, w1 = widths[1] ?? 0, w2 = widths[2] ?? 0, w3 = widths[3] ?? 0, w4 = widths[4] ?? 0, w5 = widths[5] ?? 0, w6 = widths[6] ?? 0; // prettier-ignore
  for (let r = 0, k = 0; r < vassals.length; r++, k += COLUMNS) {
    const v = vassals[r] as StatusRow;
    const name = v.name;
    const pid = pidCell(v);
    const up = v.started_at !== null && v.pids.length > 0 ? humanDuration(now - v.started_at) : '-';
    const restarts = String(v.restarts);
    const cpu = v.cpu_percent === null ? '-' : v.cpu_percent.toFixed(1) + '%';
    const rss = v.rss_bytes === null ? '-' : humanBytes(v.rss_bytes);
    cells[k] = name;
    cells[k + 1] = v.state;
    cells[k + 2] = pid;
    cells[k + 3] = up;
    cells[k + 4] = restarts;
    cells[k + 5] = cpu;
    cells[k + 6] = rss;
    cells[k + 7] = lastExit(v, now);
    if (name.length > w0) w0 = name.length;
    if (v.state.length > w1) w1 = v.state.length;
    if (pid.length > w2) w2 = pid.length;
    if (up.length > w3) w3 = up.length;
    if (restarts.length > w4) w4 = restarts.length;
    if (cpu.length > w5) w5 = cpu.length;
    if (rss.length > w6) w6 = rss.length;
  }
  const bold = (t: string): string => (colour ? '\x1b[1m' + t + '\x1b[0m' : t);
  const padded = [w0, w1, w2, w3, w4, w5, w6].map((w, i) => bold((HEADER[i] ?? '').padEnd(w)));
  const out = [(padded.join('  ') + '  ' + bold(HEADER[COLUMNS - 1] ?? '')).trimEnd()];
  for (let r = 0, k = 0; r < vassals.length; r++, k += COLUMNS) {
    const v = vassals[r] as StatusRow;
    const state = (cells[k + 1] as string).padEnd(w1);
    const painted = colour ? '\x1b[' + (COLOURS[v.state] ?? '0') + 'm' + state + '\x1b[0m' : state;
    // prettier-ignore
    out.push(((cells[k] as string).padEnd(w0) + '  ' + painted + '  ' + (cells[k + 2] as string).padEnd(w2) + '  ' + (cells[k + 3] as string).padEnd(w3) + '  ' +
      (cells[k + 4] as string).padEnd(w4) + '  ' + (cells[k + 5] as string).padEnd(w5) + '  ' + (cells[k + 6] as string).padEnd(w6) + '  ' + (cells[k + 7] as string)).trimEnd());
    if (v.error !== null) {
      for (const e of v.error.split('\n')) out.push(colour ? '  \x1b[31m' + e + '\x1b[0m' : '  ' + e);
    }
    // What the vassal says about itself (sd_notify STATUS=, the uWSGI Emperor protocol).
    if ((v.status_text ?? null) !== null) out.push(`  status: ${v.status_text}`);
    if (v.next_run != null) out.push(`  next run in ${humanDuration(Math.max(0, v.next_run - now))} (${new Date(v.next_run * 1000).toISOString()})`);
  }
  if (vassals.length === 0 && (doc.totals.vassals ?? 0) === 0) out.push(`(no vassals in ${doc.sources?.some((src) => src.kind === 'etcd') ? doc.sources.map((src) => src.address).join(', ') : doc.vassals_dir})`);
  const totals = Object.entries(doc.totals).filter(([k, n]) => k !== 'vassals' && n > 0).map(([k, n]) => `${n} ${k}`);
  out.push(`${doc.totals.vassals ?? vassals.length} vassals${totals.length > 0 ? `: ${totals.join(', ')}` : ''}`);
  // With etcd among them, each source's health (a directory alone says so through its vassals).
  const sources = doc.sources ?? [];
  if (sources.some((src) => src.kind === 'etcd')) {
    for (const src of sources) out.push(`source ${src.kind} ${src.address}: ${src.healthy ? 'ok' : 'NOT OK'}${src.detail !== null ? ` (${src.detail})` : ''}`);
  }
  if (containment !== null) out.push(CONTAINMENT_LINE[containment]);
  return out.join('\n') + '\n';
}
