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
  if (doc.vassals.length === 0) out = '<tr><td colspan="7">no vassals in ' + esc(doc.vassals_dir) + '</td></tr>';
  return out;
}

/** The last `spanMs` per vassal as inline SVG: states as coloured bands, crashes and restarts as marks. */
export function timelineSvg(vassals: Array<{ name: string; state: string }>, events: StreamEvent[], now: number, spanMs: number): string {
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
    let from = now - spanMs;
    let marks = '';
    const band = (to: number): string => '<rect x="' + x(from).toFixed(1) + '" y="' + y + '" width="' + Math.max(0.5, x(to) - x(from)).toFixed(1) + '" height="' + (rowH - 6) + '" fill="' + (colours[state] ?? '#eeeeee') + '"><title>' + esc(v.name + ': ' + state) + '</title></rect>';
    for (const e of mine) {
      svg += band(e.time);
      const crash = (e.code != null || e.signal != null) && e.state !== 'STOPPED' && e.from !== 'STOPPING';
      const restart = e.state === 'STARTING' && e.from !== 'STARTING' && e.from !== 'STOPPED';
      if (crash || restart) {
        const what = crash ? 'crash' : 'restart';
        const why = (e.signal != null ? 'signal ' + e.signal : e.code != null ? 'code ' + e.code : '') + (e.message ? ' ' + e.message : '');
        marks += '<line class="' + what + '" data-vassal="' + esc(v.name) + '" x1="' + x(e.time).toFixed(1) + '" x2="' + x(e.time).toFixed(1) + '" y1="' + (y - 2) + '" y2="' + (y + rowH - 4) + '" stroke="' + (crash ? '#d62728' : '#222222') + '" stroke-width="' + (crash ? 3 : 1.5) + '"><title>' + esc(v.name + ' ' + what + ' at ' + new Date(e.time).toLocaleTimeString() + (why ? ': ' + why : '')) + '</title></line>';
      }
      state = e.state ?? state;
      from = e.time;
    }
    svg += band(now) + marks;
    svg += '<text x="0" y="' + (y + 12) + '" font-size="12">' + esc(v.name.length > 20 ? v.name.slice(0, 19) + '…' : v.name) + '</text>';
  });
  const h = 28 + vassals.length * rowH;
  let axis = '';
  for (let k = 0; k <= 4; k++) {
    const t = now - spanMs + (spanMs * k) / 4;
    const label = k === 4 ? 'now' : '-' + Math.round((spanMs - (spanMs * k) / 4) / 60000) + 'm';
    axis += '<line x1="' + x(t) + '" x2="' + x(t) + '" y1="14" y2="' + (h - 6) + '" stroke="#0002"/><text x="' + x(t) + '" y="10" font-size="10" text-anchor="middle">' + label + '</text>';
  }
  return '<svg id="timeline-svg" viewBox="0 0 1000 ' + h + '" width="100%" role="img" aria-label="state timeline of the last hour" xmlns="http://www.w3.org/2000/svg">' + axis + svg + '</svg>';
}
