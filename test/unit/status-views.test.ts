// What `top` draws and what the status page renders: pure functions of a stats document and events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatsDocument, VassalStats } from '../../src/control/protocol.ts';
import { renderTop, sparkline, visibleRows, type TopModel } from '../../src/cli/ctl-top-render.ts';
import { rowsHtml, timelineSpan, timelineSvg } from '../../src/metrics/status-page-render.ts';
import { bearerMatches } from '../../src/metrics/status-page.ts';
import { parseEventsQuery } from '../../src/metrics/event-sse.ts';

const vassal = (name: string, state: string, extra: Partial<VassalStats> = {}): VassalStats => ({
  name, file: `/v/${name}.ini`, dialect: 'vassal', state, pids: state === 'RUNNING' ? [100] : [], started_at: 1000, restarts: 0, last_exit: null,
  backoff_until: null, cpu_percent: 1.5, rss_bytes: 2 * 1048576, health: null, error: null, status_text: null, watchdog_restarts: 0, instances: [], ...extra,
});
const doc = (vassals: VassalStats[]): StatsDocument => ({ version: '0.1.0', pid: 1, started_at: 900, vassals_dir: '/v', totals: { vassals: vassals.length }, vassals });
const model = (d: StatsDocument, over: Partial<TopModel> = {}): TopModel => ({ doc: d, cpu: new Map(), sort: 'name', filter: '', typing: false, selected: null, confirm: null, message: '', events: [], ...over });
const ESC = /\x1b\[/;
const visible = (l: string): number => [...l.replace(/\x1b\[[0-9;]*m/g, '')].length;

test('top fits 80x24 exactly, shows the error under a failing vassal, and has no escape codes without colour', () => {
  const d = doc([vassal('web', 'RUNNING'), vassal('a-very-long-vassal-name-indeed', 'FATAL', { error: 'exited with code 2 three times in a row' })]);
  const lines = renderTop(model(d, { events: ['00:00:01 web[0]: RUNNING'] }), 80, 24, false, 1060);
  assert.equal(lines.length, 24);
  for (const l of lines) assert.ok(visible(l) <= 80, `too wide: ${l}`);
  assert.ok(lines.every((l) => !ESC.test(l)));
  const at = lines.findIndex((l) => l.includes('a-very-long-vassal-…'));
  assert.match(lines[at + 1] ?? '', /^ {4}exited with code 2 three times/);
  assert.match(lines.join('\n'), /web\s+RUNNING\s+100\s+1m\s+0\s+1\.5%\s+2\.0M/);
  assert.ok(renderTop(model(d), 80, 24, true, 1060).some((l) => ESC.test(l)));
});

test('top sorts, filters and asks before acting', () => {
  const d = doc([vassal('b', 'RUNNING', { cpu_percent: 9 }), vassal('a', 'BACKOFF', { cpu_percent: 1 }), vassal('c', 'RUNNING', { cpu_percent: 50 })]);
  assert.deepEqual(visibleRows(model(d)).map((v) => v.name), ['a', 'b', 'c']);
  assert.deepEqual(visibleRows(model(d, { sort: 'cpu' })).map((v) => v.name), ['c', 'b', 'a']);
  assert.deepEqual(visibleRows(model(d, { sort: 'state' })).map((v) => v.name), ['a', 'b', 'c']);
  assert.deepEqual(visibleRows(model(d, { filter: 'back' })).map((v) => v.name), ['a']);
  const lines = renderTop(model(d, { confirm: { action: 'restart', name: 'b' } }), 80, 24, false, 1060);
  assert.equal(lines.at(-1)?.trimEnd(), 'restart b? y/N');
  assert.equal(sparkline([0, 5, 10], 5), '  ▁▅█');
  assert.equal(sparkline([NaN, 20, 40], 3), ' ▅█');
  assert.equal(sparkline([...Array<number>(30).fill(0), ...Array<number>(30).fill(40)], 4), '▁▁██', 'a minute squeezed into 4 columns');
});

test('the page: one row per vassal, escaped, buttons only when actions are allowed', () => {
  const d = doc([vassal('<web>', 'RUNNING'), vassal('db', 'INVALID', { error: 'db.ini:3: bad' })]);
  const html = rowsHtml(d, 1060, false);
  assert.match(html, /<tr data-name="&lt;web&gt;"><td>&lt;web&gt;<\/td>/);
  assert.match(html, /<tr class="error"><td colspan="7">db\.ini:3: bad<\/td><\/tr>/);
  assert.doesNotMatch(html, /<button/);
  assert.match(rowsHtml(d, 1060, true), /<button data-act="restart" data-name="db">restart<\/button>/);
});

test('the timeline: bands from the emperor start, a crash mark, a restart mark on a second spawn, spans of 5 minutes to an hour', () => {
  const now = 1_000_000;
  const svg = timelineSvg([{ name: 'web', state: 'RUNNING' }], [
    { time: now - 55_000, level: 'info', vassal: 'web', instance: 0, state: 'STARTING', from: 'STARTING', pid: 1 },
    { time: now - 50_000, level: 'info', vassal: 'web', state: 'RUNNING', from: 'STARTING' },
    { time: now - 20_000, level: 'warn', vassal: 'web', state: 'BACKOFF', from: 'RUNNING', signal: 'SIGKILL' },
    { time: now - 19_000, level: 'info', vassal: 'web', instance: 0, state: 'STARTING', from: 'BACKOFF', pid: 2 },
  ], now, 300_000, now - 60_000);
  assert.equal((svg.match(/class="crash" data-vassal="web"/g) ?? []).length, 1);
  assert.equal((svg.match(/class="restart"/g) ?? []).length, 1);
  assert.match(svg, /fill="#e0a000"><title>web: BACKOFF/);
  assert.equal(timelineSpan(now, now - 60_000), 300_000);
  assert.equal(timelineSpan(now, now - 7_200_000), 3_600_000);
});

test('the bearer token and the /events query', () => {
  assert.equal(bearerMatches(undefined, 'abc'), 'missing');
  assert.equal(bearerMatches('Basic abc', 'abc'), 'missing');
  assert.equal(bearerMatches('Bearer abd', 'abc'), 'wrong');
  assert.equal(bearerMatches('Bearer abcd', 'abc'), 'wrong');
  assert.equal(bearerMatches('Bearer abc', 'abc'), 'ok');
  assert.deepEqual(parseEventsQuery(new URLSearchParams('since=10m&names=a,b')), { sinceMs: 600_000, names: ['a', 'b'], snapshots: false });
  assert.match(String(parseEventsQuery(new URLSearchParams('since=-1'))), /since: expected a duration/);
});
