// One fleet of idle vassals: stats reads, emperorctl rounds, event-loop blocking under bursts, GCs alongside.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatsDocument } from '../../../src/control/protocol.ts';
import { tempRoot } from '../../lib/cleanup.ts';
import { EmperorProcess } from '../../lib/emperor-process.ts';
import { readStats, waitFor } from '../../lib/stats-read.ts';
import { nowMs, summarize, type Summary } from '../../lib/summary.ts';
import { sleep } from '../../lib/util.ts';
import { SEQ_READS, CTL_ROUNDS, BURSTS, BURST_SIZE, BURST_GAP_MS, RENDER_READS, PINGED_READS, IDLE_PING_MS, SETTLE_MS, summarize99, median, max } from './constants.ts';
import { type TimedRead, timedRead } from './timed-read.ts';
import { type Ping, Pinger, overlapping } from './pinger.ts';
import { type GcEvent, TRACED, emperorGc, benchGcs, gcsIn, describeGcs, gcTotals } from './gc.ts';
import { cpuOf, cpuDelta, timeCommand } from './cpu-and-commands.ts';
import { type FleetResult, CMDS } from './fleet-result.ts';

/** Runs one fleet of n idle vassals through parts 1 to 3 and returns what it measured. */
export async function fleet(n: number): Promise<FleetResult> {
  const problems: string[] = [];
  const root = tempRoot('emperor-bench-stats');
  const vassals = join(root, 'vassals');
  const state = join(root, 'state');
  mkdirSync(vassals);
  const width = String(n).length;
  for (let i = 0; i < n; i++) writeFileSync(join(vassals, `v${String(i).padStart(width, '0')}.ini`), '[vassal]\ncommand = sleep 100000\n');
  const statsPath = join(state, 'stats.sock');
  const controlPath = join(state, 'control.sock');

  const emp = new EmperorProcess(TRACED, ['--vassals', vassals, '--state-dir', state]);
  const gcs: GcEvent[] = [];
  emperorGc(emp, gcs);
  await waitFor(
    `all ${n} vassals RUNNING`,
    async () => {
      const doc = await readStats(statsPath, 10000);
      for (const v of doc.vassals) for (const p of v.pids) emp.pgids.add(p);
      return doc.totals['RUNNING'] === n ? true : null;
    },
    120000,
    50,
  );
  const allRunning = nowMs() - emp.spawnedAt;
  emp.rememberDescendants();
  await sleep(SETTLE_MS);

  // Part 1: sequential reads, connect -> parsed.
  const part1From = nowMs();
  const cpu1a = cpuOf(emp.pid);
  const seq: TimedRead[] = [];
  let lastDoc: StatsDocument | null = null;
  for (let i = 0; i < SEQ_READS; i++) {
    const r = await timedRead(statsPath, true);
    lastDoc = r.doc;
    seq.push({ ...r, doc: null }); // the bench keeps one document, not 100: less for its own GC to do
  }
  const readMs = seq.map((r) => r.parsedMs ?? NaN);
  const part1To = nowMs();
  const cpu1b = cpuOf(emp.pid);
  const slowest = seq.reduce((a, b) => ((b.parsedMs ?? 0) > (a.parsedMs ?? 0) ? b : a));
  const docBytes = seq[seq.length - 1]?.bytes ?? NaN;
  if (lastDoc === null || lastDoc.vassals.length !== n) problems.push(`stats document lists ${lastDoc?.vassals.length} vassals, expected ${n}`);
  const docText = JSON.stringify(lastDoc);
  const parseTimes: number[] = [];
  const stringifyTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t = nowMs();
    const obj = JSON.parse(docText) as StatsDocument;
    parseTimes.push(nowMs() - t);
    t = nowMs();
    JSON.stringify(obj);
    stringifyTimes.push(nowMs() - t);
  }

  // Part 2: emperorctl and node, interleaved so drift hits them alike; round 0 is a warm-up.
  const ctlSamples: Record<string, number[]> = {};
  const ctlStdout: Record<string, { bytes: number; lines: number }> = {};
  for (let round = 0; round <= CTL_ROUNDS; round++) {
    for (const c of CMDS) {
      const r = await timeCommand(c.args, state);
      if (r.code !== 0) problems.push(`${c.label} exited ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
      if (round === 0) continue;
      (ctlSamples[c.key] ??= []).push(r.ms);
      ctlStdout[c.key] = { bytes: r.stdoutBytes, lines: r.stdoutLines };
    }
  }
  const statusLines = ctlStdout['ctl_status']?.lines ?? 0;
  if (statusLines < n) problems.push(`emperorctl status printed ${statusLines} lines for ${n} vassals`);

  // Part 3a: the tiny request alone.
  const part3From = nowMs();
  const pinger = await Pinger.start(controlPath);
  const idleFrom = nowMs();
  await sleep(IDLE_PING_MS);
  const idleTo = nowMs();
  await sleep(20);

  // Part 3b: bursts of concurrent reads (to EOF, not parsed), the pinger running alongside.
  const burstWindows: Array<{ from: number; to: number; reads: TimedRead[] }> = [];
  for (let b = 0; b < BURSTS; b++) {
    const from = nowMs();
    const reads = await Promise.all(Array.from({ length: BURST_SIZE }, () => timedRead(statsPath, false)));
    burstWindows.push({ from, to: nowMs(), reads });
    await sleep(BURST_GAP_MS);
  }
  // Part 3c: single sequential reads with the pinger alongside (one render at a time).
  const pingedFrom = nowMs();
  const pinged: TimedRead[] = [];
  for (let i = 0; i < PINGED_READS; i++) {
    pinged.push(await timedRead(statsPath, false));
    await sleep(5);
  }
  const pingedTo = nowMs();
  const { pings, answers } = await pinger.stop();
  const idlePings = pings.filter((p) => p.at >= idleFrom && p.at + p.ms <= idleTo).map((p) => p.ms);
  for (const w of burstWindows) for (const r of w.reads) if (r.bytes < docBytes * 0.9) problems.push(`a burst read got ${r.bytes} bytes (document is ${docBytes})`);
  const burstAll = burstWindows.flatMap((w) => w.reads.map((r) => r.endMs));
  const burstMedians = burstWindows.map((w) => median(w.reads.map((r) => r.endMs)));
  const burstMaxes = burstWindows.map((w) => max(w.reads.map((r) => r.endMs)));
  const burstPingMax = burstWindows.map((w) => max(overlapping(pings, w.from, w.to).map((p) => p.ms)));
  const pingedPings = overlapping(pings, pingedFrom, pingedTo).map((p) => p.ms);
  for (const a of answers) if (a !== 'ok=false code=bad-request') problems.push(`the tiny request was answered ${a}, not bad-request`);

  // Part 3d: RENDER_READS sequential reads to EOF, nothing else running.
  const renderReads: TimedRead[] = [];
  const cpu3a = cpuOf(emp.pid);
  const rt0 = nowMs();
  for (let i = 0; i < RENDER_READS; i++) renderReads.push(await timedRead(statsPath, false));
  const renderTotal = nowMs() - rt0;
  const cpu3b = cpuOf(emp.pid);
  const part3To = nowMs();

  // Which stalls a collection explains: the 3 slowest part-1 reads, the slowest tiny request of each phase.
  const allGcs = (): GcEvent[] => [...gcs, ...benchGcs];
  const stalls: Array<{ what: string; ms: number; gcs: string }> = [];
  const slowestReads = seq.map((r, i) => ({ r, i })).sort((a, b) => (b.r.parsedMs ?? 0) - (a.r.parsedMs ?? 0)).slice(0, 3);
  for (const { r, i } of slowestReads) {
    const ms = r.parsedMs ?? NaN;
    stalls.push({ what: `part-1 read #${i}`, ms: Math.round(ms * 1000) / 1000, gcs: describeGcs(gcsIn(allGcs(), r.startedAt, r.startedAt + ms, 2)) });
  }
  const slowestPing = (ps: readonly Ping[], what: string): void => {
    const p = ps.reduce<Ping | null>((a, b) => (a === null || b.ms > a.ms ? b : a), null);
    if (p !== null) stalls.push({ what, ms: Math.round(p.ms * 1000) / 1000, gcs: describeGcs(gcsIn(allGcs(), p.at, p.at + p.ms, 2)) });
  };
  slowestPing(burstWindows.flatMap((w) => overlapping(pings, w.from, w.to)), 'tiny request during a burst');
  slowestPing(overlapping(pings, pingedFrom, pingedTo), 'tiny request alongside single reads');
  const gcDuring = gcTotals([...gcsIn(allGcs(), part1From, part1To), ...gcsIn(allGcs(), part3From, part3To)]);

  const end = await readStats(statsPath);
  const stillRunning = end.totals['RUNNING'] ?? 0;
  const restarts = end.vassals.reduce((s, v) => s + v.restarts, 0);
  if (stillRunning !== n || restarts !== 0) problems.push(`at the end ${stillRunning}/${n} RUNNING, ${restarts} restarts`);

  const stop = await emp.stop();
  problems.push(...emp.problems(), ...stop.leftovers.map((l) => `left behind: ${l}`));
  if (stop.exitCode !== 0) problems.push(`emperor exit code ${stop.exitCode} signal ${stop.exitSignal}`);
  const ctlMs: Record<string, Summary> = {};
  for (const [k, v] of Object.entries(ctlSamples)) ctlMs[k] = summarize(v);
  return {
    vassals: n,
    all_running_ms: Math.round(allRunning),
    doc_bytes: docBytes,
    stats_read_ms: summarize99(readMs),
    stats_connect_ms: summarize(seq.map((r) => r.connectMs)),
    stats_first_byte_ms: summarize(seq.map((r) => r.firstByteMs)),
    stats_eof_ms: summarize(seq.map((r) => r.endMs)),
    slowest_read_at_s: Math.round((slowest.startedAt - emp.spawnedAt) / 100) / 10,
    bench_parse_ms: Math.round(median(parseTimes) * 1000) / 1000,
    bench_stringify_ms: Math.round(median(stringifyTimes) * 1000) / 1000,
    ctl_ms: ctlMs,
    ctl_stdout: ctlStdout,
    idle_ping_ms: summarize99(idlePings),
    burst_read_ms: summarize(burstAll),
    burst_median_ms: summarize(burstMedians),
    burst_max_ms: summarize(burstMaxes),
    burst_ping_max_ms: summarize(burstPingMax),
    render_reads_total_ms: Math.round(renderTotal * 1000) / 1000,
    render_reads_avg_ms: Math.round((renderTotal / RENDER_READS) * 1000) / 1000,
    render_first_byte_ms: summarize(renderReads.map((r) => r.firstByteMs)),
    pinged_read_ms: summarize(pinged.map((r) => r.endMs)),
    pinged_ping_max_ms: Math.round(max(pingedPings) * 1000) / 1000,
    pinged_ping_ms: summarize99(pingedPings),
    ping_answers: answers,
    emperor_cpu_part1: cpuDelta(cpu1a, cpu1b),
    emperor_cpu_render_reads: cpuDelta(cpu3a, cpu3b),
    gc_during: gcDuring,
    stalls,
    still_running: stillRunning,
    restarts,
    stop_ms: Math.round(stop.stopMs),
    exit_code: stop.exitCode,
    leftovers: stop.leftovers,
    problems,
    samples: { stats_read_ms: readMs.map((x) => Math.round(x * 1000) / 1000), burst_max_ms: burstMaxes, burst_ping_max_ms: burstPingMax, ctl_ms: ctlSamples },
  };
}
