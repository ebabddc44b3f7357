// What `emperorctl top` draws: a pure function of what it knows and the terminal's size, one string per line.
import type { StatsDocument, VassalStats } from '../control/protocol.ts';
import { humanBytes, humanDuration } from './ctl-format.ts';

/** The orders rows can be shown in. */
export type SortKey = 'name' | 'state' | 'cpu' | 'memory' | 'restarts';
/** `s` cycles through these. */
export const SORT_KEYS: readonly SortKey[] = ['name', 'state', 'cpu', 'memory', 'restarts'];

/** What the view knows: the last stats document and what the person has asked for. */
export interface TopModel {
  doc: StatsDocument | null;
  /** the last minute of CPU samples per vassal, oldest first. */
  cpu: Map<string, number[]>;
  sort: SortKey;
  filter: string;
  /** typing a filter after `/`. */
  typing: boolean;
  selected: string | null;
  confirm: { action: 'restart' | 'stop' | 'start'; name: string } | null;
  /** the latest line to show the person (an action's result, an unreachable emperor). */
  message: string;
  /** recent events, formatted, newest last. */
  events: string[];
}

const STATE_ORDER = ['FATAL', 'INVALID', 'BACKOFF', 'EXITED', 'STARTING', 'STOPPING', 'STOPPED', 'RUNNING'];
const COLOURS: Record<string, string> = { RUNNING: '32', STARTING: '36', STOPPING: '36', BACKOFF: '33', STOPPED: '2', EXITED: '2', FATAL: '31;1', INVALID: '31;1' };
const BARS = '▁▂▃▄▅▆▇█';

/** The vassals shown, filtered and in the chosen order. */
export function visibleRows(m: TopModel): VassalStats[] {
  const needle = m.filter.toLowerCase();
  const rows = (m.doc?.vassals ?? []).filter((v) => needle === '' || v.name.toLowerCase().includes(needle) || v.state.toLowerCase().includes(needle));
  const by: Record<SortKey, (a: VassalStats, b: VassalStats) => number> = {
    name: () => 0,
    state: (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state),
    cpu: (a, b) => (b.cpu_percent ?? -1) - (a.cpu_percent ?? -1),
    memory: (a, b) => (b.rss_bytes ?? -1) - (a.rss_bytes ?? -1),
    restarts: (a, b) => b.restarts - a.restarts,
  };
  return rows.sort((a, b) => by[m.sort](a, b) || a.name.localeCompare(b.name));
}

/** The last minute of CPU as bars, scaled to the highest sample (at least 10%); squeezed into `width` by taking
 * each column's peak; a gap where there was no sample. */
export function sparkline(samples: readonly number[], width: number): string {
  const cols = samples.length <= width ? samples : Array.from({ length: width }, (_, i) => {
    const part = samples.slice(Math.floor((i * samples.length) / width), Math.floor(((i + 1) * samples.length) / width)).filter(Number.isFinite);
    return part.length > 0 ? Math.max(...part) : NaN;
  });
  const top = Math.max(10, ...cols.filter(Number.isFinite));
  return cols.map((s) => (Number.isFinite(s) ? (BARS[Math.min(BARS.length - 1, Math.floor((s / top) * (BARS.length - 1) + 0.5))] ?? ' ') : ' ')).join('').padStart(width);
}

const fit = (text: string, width: number): string => (text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text.padEnd(width));
const paint = (on: boolean, code: string | undefined, text: string): string => (on && code !== undefined ? `\x1b[${code}m${text}\x1b[0m` : text);

/** Exactly `height` lines, none wider than `width` characters (escape codes aside). */
export function renderTop(m: TopModel, width: number, height: number, colour: boolean, now: number): string[] {
  const doc = m.doc;
  const counts = new Map<string, number>();
  for (const v of doc?.vassals ?? []) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
  const summary = [...counts].sort((a, b) => STATE_ORDER.indexOf(a[0]) - STATE_ORDER.indexOf(b[0])).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ');
  const clock = new Date(now * 1000).toTimeString().slice(0, 8);
  const title = doc === null ? 'emperor: not reached yet' : `emperor ${doc.version} pid ${doc.pid}  ${doc.vassals.length} vassals${summary ? `: ${summary}` : ''}`;
  const lines: string[] = [paint(colour, '1', fit(title, Math.max(0, width - 9))) + ' ' + clock.padStart(Math.min(8, width))];
  const status = m.message !== '' ? m.message : `sort: ${m.sort}${m.filter !== '' ? `  filter: ${m.filter}` : ''}`;
  lines.push(fit(status, width));
  const nameW = Math.max(8, Math.min(20, Math.max(0, ...(doc?.vassals ?? []).map((v) => v.name.length))));
  const cols: Array<[string, number]> = [['NAME', nameW], ['STATE', 8], ['PID', 7], ['UPTIME', 6], ['RESTARTS', 8], ['CPU', 6], ['RSS', 7]];
  const fixed = 2 + cols.reduce((n, [, w]) => n + w + 1, 0);
  const sparkW = Math.max(0, Math.min(30, width - fixed));
  const header = '  ' + cols.map(([h, w]) => (h === 'NAME' || h === 'STATE' ? h.padEnd(w) : h.padStart(w))).join(' ') + (sparkW >= 6 ? ' ' + 'CPU 1m'.padEnd(sparkW) : '');
  lines.push(paint(colour, '1', fit(header, width)));
  const body: string[] = [];
  const rows = visibleRows(m);
  let selectedAt = 0;
  for (const v of rows) {
    const chosen = v.name === m.selected;
    if (chosen) selectedAt = body.length;
    const cells = [
      fit(v.name, nameW),
      fit(v.state, 8),
      (v.pids.length === 0 ? '-' : v.pids.length === 1 ? String(v.pids[0]) : `${v.pids[0]}+${v.pids.length - 1}`).padStart(7),
      (v.started_at !== null && v.pids.length > 0 ? humanDuration(now - v.started_at) : '-').padStart(6),
      String(v.restarts).padStart(8),
      (v.cpu_percent === null ? '-' : `${v.cpu_percent.toFixed(1)}%`).padStart(6),
      (v.rss_bytes === null ? '-' : humanBytes(v.rss_bytes)).padStart(7),
    ];
    const spark = sparkW >= 6 ? ' ' + sparkline(m.cpu.get(v.name) ?? [], sparkW) : '';
    const plain = fit(`${chosen ? '> ' : '  '}${cells.join(' ')}${spark}`, width);
    const stateAt = 3 + nameW;
    let line = colour ? plain.slice(0, stateAt) + paint(true, COLOURS[v.state], plain.slice(stateAt, stateAt + 8)) + plain.slice(stateAt + 8) : plain;
    if (chosen && colour) line = `\x1b[7m${line}\x1b[0m`;
    body.push(line);
    if (v.error !== null) body.push(paint(colour, '31', fit(`    ${v.error.split('\n')[0] ?? ''}`, width)));
  }
  if (rows.length === 0) body.push(fit(doc !== null && doc.vassals.length > 0 ? `  (no vassal matches ${m.filter})` : `  (no vassals in ${doc?.vassals_dir ?? '?'})`, width));
  // The rows take what they need; the latest events get the rest (at least 3 lines on a terminal of 14 or more).
  const free = height - lines.length - 1;
  const events = height >= 14 ? Math.min(m.events.length, Math.max(3, free - body.length - 1)) : 0;
  const room = Math.max(0, free - (events > 0 ? events + 1 : 0));
  const first = Math.max(0, Math.min(selectedAt - room + 2, body.length - room));
  const shown = body.slice(first, first + room);
  while (shown.length < room) shown.push('');
  lines.push(...shown);
  if (events > 0) {
    lines.push(paint(colour, '2', ('-- events ' + '-'.repeat(width)).slice(0, width)));
    for (const e of m.events.slice(-events)) lines.push(fit(e, width));
  }
  const footer = m.confirm !== null
    ? `${m.confirm.action} ${m.confirm.name}? y/N`
    : m.typing
      ? `filter: ${m.filter}_  (Enter keeps, Esc clears)`
      : 'q quit  ↑↓ select  s/P/M/N sort  / filter  r restart  x stop  g start';
  lines.push(paint(colour && m.confirm !== null, '33;1', fit(footer, width)));
  return lines.slice(0, height);
}
