// The status page: complete HTML from the server (it works before any script runs), then kept live from /events.
import type { StatsDocument, StreamEvent } from '../control/protocol.ts';
import { ago, esc, recentHtml, rowsHtml, timelineSpan, timelineSvg } from './status-page-render.ts';

/** How many of the latest events the page lists. */
const RECENT = 12;

/** The most the timeline shows: the last hour. */
export const TIMELINE_MS = 3_600_000;

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em}
.meta{color:#666;margin-bottom:1em}
table{border-collapse:collapse;background:#fff;min-width:60%}
th,td{padding:.3em .8em;text-align:left;border-bottom:1px solid #e4e4e4;white-space:nowrap}
th{background:#f0f0f0}
td.n{text-align:right}
tr.error td{color:#b00020;font-size:.9em;padding-left:2em;white-space:normal}
.state{padding:.05em .5em;border-radius:3px;color:#fff;font-weight:600;font-size:.85em}
.s-RUNNING{background:#2e9e44}.s-STARTING,.s-STOPPING{background:#4aa3df}.s-BACKOFF{background:#e0a000}
.s-EXITED{background:#8c8c8c}.s-STOPPED{background:#b5b5b5}.s-FATAL{background:#d62728}.s-INVALID{background:#8e1b1b}
button{margin-right:.3em}
#timeline{background:#fff;margin-top:1.5em;padding:.5em;max-width:1100px}
#live{font-size:.85em;color:#666}
#message{color:#333;margin:.5em 0;min-height:1.2em}
#recent{list-style:none;padding:0;font:12px/1.5 ui-monospace,monospace;max-width:1100px}
#recent li.warn b{color:#a06800}#recent li.error b{color:#b00020}#recent time{color:#888}
`;

// Runs in the browser after the server's HTML: redraws rows from snapshots and the timeline from events.
const SCRIPT = `
var __name = function (f) { return f; };
var canAct = document.body.dataset.act === '1';
var events = [];
var doc = null;
function redraw() {
  if (doc === null) return;
  var now = Date.now();
  document.getElementById('rows').innerHTML = rowsHtml(doc, now / 1000, canAct);
  var shown = doc.vassals.map(function (v) { return { name: v.name, state: v.state }; });
  var span = timelineSpan(now, doc.started_at * 1000);
  document.getElementById('span').textContent = ago(span / 1000);
  document.getElementById('timeline').innerHTML = timelineSvg(shown, events, now, span, doc.started_at * 1000);
  document.getElementById('recent').innerHTML = recentHtml(events, ${RECENT});
  document.getElementById('count').textContent = doc.vassals.length + ' vassals';
  document.getElementById('up').textContent = ago(now / 1000 - doc.started_at);
}
function connect() {
  var src = new EventSource('/events?since=3600&snapshots=1');
  src.onopen = function () { events = []; document.getElementById('live').textContent = 'live'; };
  src.onerror = function () { document.getElementById('live').textContent = 'reconnecting...'; };
  src.addEventListener('snapshot', function (m) { doc = JSON.parse(m.data); redraw(); });
  src.addEventListener('dropped', function (m) { document.getElementById('message').textContent = JSON.parse(m.data).note; });
  src.onmessage = function (m) {
    var ev = JSON.parse(m.data);
    events.push(ev);
    if (events.length > 5000) events.shift();
    if (doc !== null && ev.vassal !== undefined && ev.state !== undefined) {
      doc.vassals.forEach(function (v) { if (v.name === ev.vassal) v.state = ev.state; });
    }
    redraw();
  };
}
document.addEventListener('click', function (e) {
  var b = e.target.closest('button[data-act]');
  if (!b) return;
  var token = sessionStorage.getItem('emperor-token') || prompt('Token (the contents of the emperor\\'s --web-token file):');
  if (!token) return;
  sessionStorage.setItem('emperor-token', token);
  var msg = document.getElementById('message');
  fetch('/api/vassals/' + encodeURIComponent(b.dataset.name) + '/' + b.dataset.act, { method: 'POST', headers: { authorization: 'Bearer ' + token } })
    .then(function (r) {
      if (r.status === 401 || r.status === 403) sessionStorage.removeItem('emperor-token');
      return r.json().then(function (body) { msg.textContent = body.message || (body.done || []).map(function (d) { return d.name + ': ' + d.message; }).join('; '); });
    })
    .catch(function (err) { msg.textContent = String(err); });
});
setInterval(redraw, 1000);
connect();
`;

/** The whole page, with the current snapshot and the last hour's events already drawn. */
export function pageHtml(doc: StatsDocument, events: StreamEvent[], now: number, canAct: boolean): string {
  const vassals = doc.vassals.map((v) => ({ name: v.name, state: v.state }));
  const span = timelineSpan(now, doc.started_at * 1000);
  const shared = [esc, ago, rowsHtml, timelineSpan, timelineSvg, recentHtml].map((f) => f.toString()).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>emperor: ${esc(doc.vassals_dir ?? (doc.sources ?? []).map((s) => s.address).join(', '))}</title><style>${STYLE}</style></head>
<body data-act="${canAct ? '1' : '0'}">
<h1>emperor ${esc(doc.version)}</h1>
<div class="meta">pid ${doc.pid} · ${esc(doc.vassals_dir ?? (doc.sources ?? []).map((s) => s.address).join(', '))} · up <span id="up">${ago(now / 1000 - doc.started_at)}</span> · <span id="count">${doc.vassals.length} vassals</span> · <span id="live">not live (scripts off)</span>${canAct ? '' : ' · read-only'}</div>
<div id="message"></div>
<table><thead><tr><th>vassal</th><th>state</th><th>pids</th><th>uptime</th><th>restarts</th><th>CPU</th><th>RSS</th>${canAct ? '<th></th>' : ''}</tr></thead>
<tbody id="rows">${rowsHtml(doc, now / 1000, canAct)}</tbody></table>
<h2 style="font-size:1.05em;margin-top:1.5em">The last <span id="span">${ago(span / 1000)}</span> <small style="font-weight:normal;color:#666">(up to an hour; red marks: crashes, black: restarts)</small></h2>
<div id="timeline">${timelineSvg(vassals, events, now, span, doc.started_at * 1000)}</div>
<h2 style="font-size:1.05em;margin-top:1.5em">Latest events</h2>
<ol id="recent">${recentHtml(events, RECENT)}</ol>
<script>${shared}\n${SCRIPT}</script>
</body></html>
`;
}
