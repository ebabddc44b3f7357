// Measures how soon a change reaches event-stream clients: a vassal is SIGKILLed, and the time until its exit event
// arrives is taken on the control socket (`emperorctl events`) and on GET /events (SSE), both followed at once.
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { StreamEvent } from '../src/control/protocol.ts';
import { cleanupAll, cleanupOnInterrupt, tempRoot } from './lib/cleanup.ts';
import { EmperorProcess } from './lib/emperor-process.ts';
import { COMPILED, distWarning } from './lib/emperor-tree.ts';
import { readStats, waitFor } from './lib/stats-read.ts';
import { formatSummary, nowMs, quantile, summarize } from './lib/summary.ts';
import { sleep } from './lib/util.ts';
import { diagHeader } from './lib/header.ts';

const USAGE = 'usage: node --import tsx bench/event-latency.ts [KILLS=200] [VASSALS=20]';
const KILLS = Number(process.argv[2] ?? 200);
const VASSALS = Number(process.argv[3] ?? 20);
/** Gap between kills, so each vassal is back up before its next turn. */
const GAP_MS = 60;

/** A free loopback port. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Calls `onEvent` with each event of the control socket's stream, stamped on arrival. */
function followControl(path: string, onEvent: (ev: StreamEvent, at: number) => void): () => void {
  const sock = createConnection({ path }, () => sock.write(JSON.stringify({ v: 1, cmd: 'events', names: [] }) + '\n'));
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    const at = nowMs();
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const msg = JSON.parse(buf.slice(0, nl)) as { event?: StreamEvent };
      buf = buf.slice(nl + 1);
      if (msg.event !== undefined) onEvent(msg.event, at);
    }
  });
  sock.on('error', () => {});
  return () => sock.destroy();
}

/** The same from GET /events. */
function followSse(port: number, onEvent: (ev: StreamEvent, at: number) => void): () => void {
  const req = request({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const at = nowMs();
      buf += chunk;
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined) onEvent(JSON.parse(data) as StreamEvent, at);
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return () => req.destroy();
}

async function main(): Promise<void> {
  if (!Number.isInteger(KILLS) || KILLS < 1 || !Number.isInteger(VASSALS) || VASSALS < 1) throw new Error(USAGE);
  cleanupOnInterrupt();
  const warn = distWarning();
  if (warn !== null) console.log(`warning: ${warn}`);
  console.log(diagHeader('event-latency'));
  const root = tempRoot('emperor-bench-events');
  const vassals = join(root, 'vassals');
  const state = join(root, 'state');
  mkdirSync(vassals);
  for (let i = 0; i < VASSALS; i++) writeFileSync(join(vassals, `v${i}.ini`), '[vassal]\ncommand = sleep 100000\nstart-secs = 0\nbackoff = 50ms\n');
  const port = await freePort();
  const emp = new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', state, '--metrics', `127.0.0.1:${port}`]);
  const statsPath = join(state, 'stats.sock');
  await waitFor('every vassal RUNNING', async () => ((await readStats(statsPath).catch(() => null))?.vassals.filter((v) => v.state === 'RUNNING').length === VASSALS ? true : null), 30000);
  // Exits seen by each client, keyed by pid: arrival time, and the emperor's own stamp (Unix ms).
  const seen = { control: new Map<number, number>(), sse: new Map<number, number>() };
  const stamps = new Map<number, number>();
  // The emperor stamps with Date.now() (whole ms); the arrival on the same wall clock, to the microsecond.
  const delivery = { control: [] as number[], sse: [] as number[] };
  const record = (which: 'control' | 'sse') => (ev: StreamEvent, at: number): void => {
    if (ev.pid == null || ev.signal !== 'SIGKILL') return;
    seen[which].set(ev.pid, at);
    delivery[which].push(performance.timeOrigin + performance.now() - ev.time);
    if (which === 'control') stamps.set(ev.pid, ev.time);
  };
  const stops = [followControl(join(state, 'control.sock'), record('control')), followSse(port, record('sse'))];
  await sleep(300);
  const lat = { control: [] as number[], sse: [] as number[], stamp: [] as number[] };
  for (let k = 0; k < KILLS; k++) {
    const name = `v${k % VASSALS}`;
    const v = await waitFor(`${name} RUNNING`, async () => (await readStats(statsPath)).vassals.find((x) => x.name === name && x.state === 'RUNNING' && x.pids.length > 0) ?? null, 10000);
    const pid = v.pids[0] ?? 0;
    const t0 = nowMs();
    const wall0 = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(`the exit of ${pid} on both streams`, () => (seen.control.has(pid) && seen.sse.has(pid) ? true : null), 5000, 0.2);
    lat.control.push((seen.control.get(pid) ?? NaN) - t0);
    lat.sse.push((seen.sse.get(pid) ?? NaN) - t0);
    lat.stamp.push((stamps.get(pid) ?? NaN) - wall0);
    await sleep(GAP_MS);
  }
  for (const s of stops) s();
  const p99 = (xs: number[]): number => Math.round(quantile([...xs].sort((a, b) => a - b), 0.99) * 1000) / 1000;
  console.log(`${KILLS} SIGKILLs over ${VASSALS} vassals; time from kill() to the exit event in the client:`);
  console.log(`  ${formatSummary('control socket (emperorctl events)', summarize(lat.control))}, p99 ${p99(lat.control).toFixed(2)} ms`);
  console.log(`  ${formatSummary('HTTP SSE (GET /events)', summarize(lat.sse))}, p99 ${p99(lat.sse).toFixed(2)} ms`);
  console.log(`  of which kill() to the emperor's event stamp (Date.now, 1 ms resolution): median ${summarize(lat.stamp).median.toFixed(0)} ms (reaping the child)`);
  console.log('time from the emperor writing the event to the client reading it (the stream itself; the stamp is in whole ms, so these overstate by up to 1 ms):');
  console.log(`  ${formatSummary('control socket', summarize(delivery.control))}, p99 ${p99(delivery.control).toFixed(2)} ms`);
  console.log(`  ${formatSummary('HTTP SSE', summarize(delivery.sse))}, p99 ${p99(delivery.sse).toFixed(2)} ms`);
  const report = await emp.stop();
  if (report.leftovers.length > 0) console.log(`left behind: ${report.leftovers.join('; ')}`);
  console.log(`load average at end: ${loadavg()[0]?.toFixed(2)}`);
  console.log(JSON.stringify({ bench: 'event-latency', kills: KILLS, vassals: VASSALS, control: { ...summarize(lat.control), p99: p99(lat.control) }, sse: { ...summarize(lat.sse), p99: p99(lat.sse) }, delivery_control: { ...summarize(delivery.control), p99: p99(delivery.control) }, delivery_sse: { ...summarize(delivery.sse), p99: p99(delivery.sse) } }));
}

main()
  .catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
