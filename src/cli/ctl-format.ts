// How emperorctl shows the stats document to a person: an aligned table, human units, colour on a TTY.
import type { StatsDocument, VassalStats } from '../control/protocol.ts';
import type { ContainmentKind } from './ctl-containment.ts';

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

function lastExit(v: VassalStats, now: number): string {
  const e = v.last_exit;
  if (e === null) return '-';
  const what = e.signal ?? `code ${e.code ?? '?'}`;
  return `${what}, ${humanDuration(now - e.at)} ago`;
}

function pidCell(v: VassalStats): string {
  if (v.pids.length === 0) return '-';
  return v.pids.length === 1 ? String(v.pids[0]) : `${v.pids[0]} +${v.pids.length - 1}`;
}

/** How the summary's last line says the containment (when emperorctl could tell it). */
const CONTAINMENT_LINE: Record<ContainmentKind, string> = {
  cgroup: 'containment: a cgroup per vassal instance',
  'process-group': 'containment: process groups (a process that leaves its group escapes)',
};

/** The status table, with the error on the line under each vassal that has one; the containment last when known. */
export function renderStatus(doc: StatsDocument, now: number, colour: boolean, containment: ContainmentKind | null = null): string {
  const header = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'RSS', 'LAST EXIT'];
  const rows = doc.vassals.map((v) => [
    v.name,
    v.state,
    pidCell(v),
    v.started_at !== null && v.pids.length > 0 ? humanDuration(now - v.started_at) : '-',
    String(v.restarts),
    v.cpu_percent === null ? '-' : `${v.cpu_percent.toFixed(1)}%`,
    v.rss_bytes === null ? '-' : humanBytes(v.rss_bytes),
    lastExit(v, now),
  ]);
  // Plain loops: a thousand rows are rendered by code that runs once, not yet compiled by the JIT.
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) if ((r[i] ?? '').length > (widths[i] ?? 0)) widths[i] = (r[i] ?? '').length;
  const line = (cells: string[], paint: ((i: number, text: string) => string) | null): string => {
    let text = '';
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i] ?? '';
      const padded = i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0);
      text += (i === 0 ? '' : '  ') + (paint === null ? padded : paint(i, padded));
    }
    return text.trimEnd();
  };
  const out = [line(header, colour ? (_, t) => `\x1b[1m${t}\x1b[0m` : null)];
  doc.vassals.forEach((v, idx) => {
    out.push(line(rows[idx] ?? [], colour ? (i, t) => (i === 1 ? `\x1b[${COLOURS[v.state] ?? '0'}m${t}\x1b[0m` : t) : null));
    if (v.error !== null) {
      for (const e of v.error.split('\n')) out.push(`  ${colour ? `\x1b[31m${e}\x1b[0m` : e}`);
    }
    // What the vassal says about itself (sd_notify STATUS=, the uWSGI Emperor protocol).
    if ((v.status_text ?? null) !== null) out.push(`  status: ${v.status_text}`);
    if (v.next_run != null) out.push(`  next run in ${humanDuration(Math.max(0, v.next_run - now))} (${new Date(v.next_run * 1000).toISOString()})`);
  });
  if (doc.vassals.length === 0 && (doc.totals.vassals ?? 0) === 0) out.push(`(no vassals in ${doc.sources?.some((src) => src.kind === 'etcd') ? doc.sources.map((src) => src.address).join(', ') : doc.vassals_dir})`);
  const totals = Object.entries(doc.totals).filter(([k, n]) => k !== 'vassals' && n > 0).map(([k, n]) => `${n} ${k}`);
  out.push(`${doc.totals.vassals ?? doc.vassals.length} vassals${totals.length > 0 ? `: ${totals.join(', ')}` : ''}`);
  // With etcd among them, each source's health (a directory alone says so through its vassals).
  const sources = doc.sources ?? [];
  if (sources.some((src) => src.kind === 'etcd')) {
    for (const src of sources) out.push(`source ${src.kind} ${src.address}: ${src.healthy ? 'ok' : 'NOT OK'}${src.detail !== null ? ` (${src.detail})` : ''}`);
  }
  if (containment !== null) out.push(CONTAINMENT_LINE[containment]);
  return out.join('\n') + '\n';
}
