// The status page's rows and timeline as HTML: pure functions the server runs and the page runs again (by source).
// Each function uses only its arguments and the others here, so its source can be sent to the browser as is.
import type { StatsDocument, StreamEvent } from '../control/protocol.ts';

/** Escapes text for HTML. */
export function esc(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** 3661 -> "1h1m", for the uptime cell. */
export function ago(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + (s % 60 ? (s % 60) + 's' : '');
  if (s < 86400) return Math.floor(s / 3600) + 'h' + (Math.floor((s % 3600) / 60) ? Math.floor((s % 3600) / 60) + 'm' : '');
  return Math.floor(s / 86400) + 'd' + (Math.floor((s % 86400) / 3600) ? Math.floor((s % 86400) / 3600) + 'h' : '');
}

/** The timeline's span: the smallest of 5, 15, 30 and 60 minutes that covers the emperor's uptime. */
export function timelineSpan(now: number, startedAt: number): number {
  const up = now - startedAt;
  return [300_000, 900_000, 1_800_000].find((s) => up <= s) ?? 3_600_000;
}

/** The table body: one row per vassal (with buttons when actions are allowed), its error on a row underneath. */
export function rowsHtml(doc: StatsDocument, now: number, canAct: boolean): string {
  let out = '';
  for (const v of doc.vassals) {
    const rss = v.rss_bytes === null ? '-' : v.rss_bytes >= 1048576 ? (v.rss_bytes / 1048576).toFixed(1) + 'M' : (v.rss_bytes / 1024).toFixed(0) + 'K';
    const up = v.started_at !== null && v.pids.length > 0 ? ago(now - v.started_at) : '-';
    const buttons = canAct ? '<td class="act">' + ['restart', 'stop', 'start'].map((a) => '<button data-act="' + a + '" data-name="' + esc(v.name) + '">' + a + '</button>').join('') + '</td>' : '';
    out += '<tr data-name="' + esc(v.name) + '"><td>' + esc(v.name) + '</td><td><span class="state s-' + esc(v.state) + '">' + esc(v.state) + '</span></td><td>' + (v.pids.length ? v.pids.join(' ') : '-') + '</td><td>' + up + '</td><td class="n">' + v.restarts + '</td><td class="n">' + (v.cpu_percent === null ? '-' : v.cpu_percent.toFixed(1) + '%') + '</td><td class="n">' + rss + '</td>' + buttons + '</tr>';
    if (v.error !== null) out += '<tr class="error"><td colspan="' + (canAct ? 8 : 7) + '">' + esc(v.error.split('\n')[0] ?? '') + '</td></tr>';
  }
  if (doc.vassals.length === 0) out = '<tr><td colspan="7">no vassals in ' + esc(doc.vassals_dir ?? (doc.sources ?? []).map((s) => s.address).join(', ')) + '</td></tr>';
  return out;
}

/** The last `spanMs` per vassal as inline SVG (from `startedAt` on): states as coloured bands, crashes and restarts as marks. */
export function timelineSvg(vassals: Array<{ name: string; state: string }>, events: StreamEvent[], now: number, spanMs: number, startedAt: number): string {
  const colours: Record<string, string> = { RUNNING: '#2e9e44', STARTING: '#4aa3df', STOPPING: '#4aa3df', BACKOFF: '#e0a000', EXITED: '#8c8c8c', STOPPED: '#cfcfcf', FATAL: '#d62728', INVALID: '#8e1b1b' };
  const left = 140;
  const right = 990;
  const rowH = 22;
  const x = (t: number): number => left + ((right - left) * Math.max(0, t - (now - spanMs))) / spanMs;
  let svg = '';
  vassals.forEach((v, i) => {
    const y = 20 + i * rowH;
    const mine = events.filter((e) => e.vassal === v.name && e.state !== undefined && e.time >= now - spanMs && e.time <= now);
    let state = mine.length > 0 ? (mine[0]?.from ?? 'STOPPED') : v.state;
    // Nothing is known before the emperor started (or before the window).
    let from = Math.max(now - spanMs, startedAt);
    let marks = '';
    let crashes = '';
    const spawned = new Set<number>();
    const band = (to: number): string => '<rect x="' + x(from).toFixed(1) + '" y="' + y + '" width="' + Math.max(0.5, x(to) - x(from)).toFixed(1) + '" height="' + (rowH - 6) + '" fill="' + (colours[state] ?? '#eeeeee') + '"><title>' + esc(v.name + ': ' + state) + '</title></rect>';
    for (const e of mine) {
      if (e.time > from) svg += band(e.time);
      const crash = (e.code != null || e.signal != null) && e.state !== 'STOPPED' && e.from !== 'STOPPING';
      // A spawn (STARTING without an exit) of an instance already seen is a restart, asked for or not.
      const spawn = e.state === 'STARTING' && e.code == null && e.signal == null;
      const restart = spawn && spawned.has(e.instance ?? 0);
      if (spawn) spawned.add(e.instance ?? 0);
      if (crash || restart) {
        const what = crash ? 'crash' : 'restart';
        const why = (e.signal != null ? 'signal ' + e.signal : e.code != null ? 'code ' + e.code : '') + (e.message ? ' ' + e.message : '');
        const w = crash ? 3 : 2;
        const mark = '<rect class="' + what + '" data-vassal="' + esc(v.name) + '" x="' + Math.min(right - w, x(e.time) - w / 2).toFixed(1) + '" y="' + (y - 2) + '" width="' + w + '" height="' + (rowH - 2) + '" fill="' + (crash ? '#d62728' : '#222222') + '"><title>' + esc(v.name + ' ' + what + ' at ' + new Date(e.time).toTimeString().slice(0, 8) + (why ? ': ' + why : '')) + '</title></rect>';
        // Crash marks go on top: a crash and the restart after it share a moment.
        if (crash) crashes += mark;
        else marks += mark;
      }
      state = e.state ?? state;
      from = e.time;
    }
    svg += band(now) + marks + crashes;
    svg += '<text x="0" y="' + (y + 12) + '" font-size="12">' + esc(v.name.length > 20 ? v.name.slice(0, 19) + '…' : v.name) + '</text>';
  });
  const h = 28 + vassals.length * rowH;
  let axis = '';
  for (let k = 0; k <= 4; k++) {
    const t = now - spanMs + (spanMs * k) / 4;
    const label = k === 4 ? 'now' : '-' + ago((spanMs - (spanMs * k) / 4) / 1000);
    axis += '<line x1="' + x(t) + '" x2="' + x(t) + '" y1="14" y2="' + (h - 6) + '" stroke="#0002"/><text x="' + x(t) + '" y="10" font-size="10" text-anchor="middle">' + label + '</text>';
  }
  return '<svg id="timeline-svg" viewBox="0 0 1000 ' + h + '" width="100%" role="img" aria-label="state timeline" xmlns="http://www.w3.org/2000/svg">' + axis + svg + '</svg>';
}

/** The latest `n` events, newest first, as list items. */
export function recentHtml(events: StreamEvent[], n: number): string {
  let out = '';
  for (const e of events.slice(-n).reverse()) {
    const who = e.vassal === undefined ? 'emperor' : e.vassal + (e.instance === undefined ? '' : '[' + e.instance + ']');
    const what = [e.state !== undefined ? (e.from !== undefined && e.from !== e.state ? e.from + ' -> ' + e.state : e.state) : '', e.pid != null ? 'pid=' + e.pid : '', e.code != null ? 'code=' + e.code : '', e.signal != null ? 'signal=' + e.signal : '', e.message ?? ''].filter((x) => x !== '').join(' ');
    out += '<li class="' + e.level + '"><time>' + new Date(e.time).toTimeString().slice(0, 8) + '</time> <b>' + esc(who) + '</b> ' + esc(what) + '</li>';
  }
  return out === '' ? '<li>nothing yet</li>' : out;
}
