// Measures stats-socket latency, `emperorctl status` wall time, and how long rendering the stats document blocks the emperor's event loop, with N idle `sleep` vassals.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readStat, TICKS_PER_SECOND } from './lib/proc.ts';
import { constants as perfConstants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { StatsDocument } from '../src/control/protocol.ts';
import {
  cleanupAll,
  cleanupOnInterrupt,
  distWarning,
  EMPEROR_BIN,
  EmperorProcess,
  formatSummary,
  nowMs,
  onCleanup,
  quantile,
  readStats,
  ROOT,
  sleep,
  summarize,
  tempRoot,
  waitFor,
  type EmperorFlavour,
  type Summary,
} from './support.ts';

const USAGE = 'usage: node --import tsx bench/stats-latency.ts [VASSALS=500] [MORE_VASSALS...]   (e.g. `500 1000`; a 1-vassal floor fleet always runs first)';

/** Fleet sizes to measure (argv), after the 1-vassal floor. */
const SIZES = process.argv.slice(2).length === 0 ? [500] : process.argv.slice(2).map(Number);
/** Part 1: sequential stats reads, connect -> parsed. */
const SEQ_READS = 100;
/** Part 2: rounds of each emperorctl / node command (after one warm-up round). */
const CTL_ROUNDS = 20;
/** Part 3: bursts of concurrent stats reads, and reads per burst. */
const BURSTS = 10;
const BURST_SIZE = 20;
const BURST_GAP_MS = 100;
/** Part 3: sequential reads (read to EOF, no parse) whose average is the per-read cost. */
const RENDER_READS = 200;
/** Part 3: sequential reads made while the control-socket pinger runs. */
const PINGED_READS = 50;
/** How long the tiny request runs alone (nothing else going on), for its floor. */
const IDLE_PING_MS = 300;
/** Gap between two pings of the background pinger. */
const PING_GAP_MS = 1;
/** Quiet time once every vassal is RUNNING, before anything is measured. */
const SETTLE_MS = 2000;
/** The tiny request: an unknown command, answered `bad-request` after parsing one line; no side effect. */
const PING_LINE = '{"v":1,"cmd":"bench-ping"}\n';

/** The numbers the issue quotes (its machine, not measured here). */
const ANCHORS = {
  target_ms_at_500: 5,
  uwsgi_emperor_stats_ms: 7,
  supervisorctl_status_ms: 800,
  pm2_jlist_ms: 530,
} as const;

/** Summary with a p99 too. */
interface Summary99 extends Summary {
  p99: number;
}

function summarize99(samples: readonly number[]): Summary99 {
  const s = [...samples].sort((a, b) => a - b);
  return { ...summarize(samples), p99: Math.round(quantile(s, 0.99) * 1000) / 1000 };
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : String(x));
const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
const max = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, x), -Infinity);

// --- one stats read, timed in phases ---------------------------------------------------------------

/** One stats read; every time is in ms from just before connect(). */
interface TimedRead {
  startedAt: number;
  connectMs: number;
  firstByteMs: number;
  /** EOF: the whole document has arrived. */
  endMs: number;
  /** EOF plus JSON.parse; null when not parsed. */
  parsedMs: number | null;
  bytes: number;
  doc: StatsDocument | null;
}

/** Connects to the stats socket, reads to EOF and (when `parse`) parses, stamping each phase. */
function timedRead(path: string, parse: boolean, timeoutMs = 10000): Promise<TimedRead> {
  return new Promise((resolveRead, reject) => {
    const t0 = nowMs();
    let connectMs = NaN;
    let firstByteMs = NaN;
    const chunks: Buffer[] = [];
    const sock = createConnection({ path });
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`stats socket ${path}: no answer in ${timeoutMs} ms`)));
    sock.once('connect', () => (connectMs = nowMs() - t0));
    sock.on('data', (d: Buffer) => {
      if (chunks.length === 0) firstByteMs = nowMs() - t0;
      chunks.push(d);
    });
    sock.on('error', reject);
    sock.on('end', () => {
      const endMs = nowMs() - t0;
      const buf = Buffer.concat(chunks);
      let doc: StatsDocument | null = null;
      let parsedMs: number | null = null;
      if (parse) {
        try {
          doc = JSON.parse(buf.toString('utf8')) as StatsDocument;
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        parsedMs = nowMs() - t0;
      }
      resolveRead({ startedAt: t0, connectMs, firstByteMs, endMs, parsedMs, bytes: buf.length, doc });
    });
  });
}

// --- the tiny request: a ping over one persistent control-socket connection ----------------------

/** One ping: when it was sent and how long the answer took. */
interface Ping {
  at: number;
  ms: number;
}

/** `ok=false code=bad-request`, or the raw line when it is not a control response. */
function describeAnswer(line: string): string {
  try {
    const msg = JSON.parse(line) as { ok?: unknown; error?: { code?: unknown } };
    return `ok=${String(msg.ok)} code=${String(msg.error?.code)}`;
  } catch {
    return `not JSON: ${line.slice(0, 60)}`;
  }
}

/**
 * The pinger runs in a worker thread: its own event loop and heap, so the bench's parsing and garbage
 * collections on the main thread do not delay it. It pings every PING_GAP_MS over one control
 * connection, stamping with process.hrtime (the same clock as nowMs), until told to stop.
 */
const PINGER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pings = [];
const answers = [];
let stopped = false;
let buffer = '';
let waiting = null;
const sock = net.createConnection({ path: workerData.path });
sock.setEncoding('utf8');
sock.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\\n'); nl >= 0; nl = buffer.indexOf('\\n')) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const w = waiting;
    waiting = null;
    if (w) w(line);
  }
});
sock.on('error', (err) => parentPort.postMessage({ type: 'error', message: err.message }));
const ping = () => new Promise((resolve) => {
  const at = now();
  waiting = (line) => {
    if (answers.length < 5 && !answers.includes(line)) answers.push(line);
    resolve({ at, ms: now() - at });
  };
  sock.write(workerData.line);
});
parentPort.on('message', (m) => { if (m === 'stop') stopped = true; });
sock.once('connect', async () => {
  for (let i = 0; i < 10; i++) await ping();
  parentPort.postMessage({ type: 'ready' });
  while (!stopped) {
    pings.push(await ping());
    await new Promise((r) => setTimeout(r, workerData.gapMs));
  }
  sock.destroy();
  parentPort.postMessage({ type: 'done', pings, answers });
});
`;

type PingerMessage = { type: 'ready' } | { type: 'error'; message: string } | { type: 'done'; pings: Ping[]; answers: string[] };

/** The tiny request, sent every PING_GAP_MS from a worker thread until stop(). */
class Pinger {
  private readonly worker: Worker;
  private readonly messages: PingerMessage[] = [];
  private notify: (() => void) | null = null;

  private constructor(path: string) {
    this.worker = new Worker(PINGER_SOURCE, { eval: true, workerData: { path, line: PING_LINE, gapMs: PING_GAP_MS } });
    this.worker.on('message', (m: unknown) => {
      this.messages.push(m as PingerMessage);
      this.notify?.();
    });
    this.worker.on('error', (err) => {
      this.messages.push({ type: 'error', message: err.message });
      this.notify?.();
    });
    onCleanup(async () => void (await this.worker.terminate()));
  }

  private async next(type: PingerMessage['type'], timeoutMs: number): Promise<PingerMessage> {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      const bad = this.messages.find((m) => m.type === 'error');
      if (bad !== undefined && bad.type === 'error') throw new Error(`pinger: ${bad.message}`);
      const found = this.messages.find((m) => m.type === type);
      if (found !== undefined) return found;
      if (nowMs() > deadline) throw new Error(`pinger: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.notify = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** Starts the worker; resolves once it is connected and has pinged 10 times. */
  static async start(path: string): Promise<Pinger> {
    const p = new Pinger(path);
    await p.next('ready', 10000);
    return p;
  }

  /** Stops the worker; every ping, and the distinct answers (described). */
  async stop(): Promise<{ pings: Ping[]; answers: string[] }> {
    this.worker.postMessage('stop');
    const done = await this.next('done', 15000);
    await this.worker.terminate();
    return done.type === 'done' ? { pings: done.pings, answers: [...new Set(done.answers.map(describeAnswer))] } : { pings: [], answers: [] };
  }
}

/** Pings that were in flight at some moment of [from, to]. */
const overlapping = (pings: readonly Ping[], from: number, to: number): Ping[] => pings.filter((p) => p.at <= to && p.at + p.ms >= from);

// --- garbage collections, to tell what a stall was --------------------------------------------------

/** One garbage collection; `end` on the bench's clock (nowMs), the pause just before it. */
interface GcEvent {
  who: 'emperor' | 'bench';
  kind: string;
  end: number;
  pauseMs: number;
}

/**
 * The compiled emperor with `--trace-gc`: it prints one line per collection, which the bench stamps
 * when it arrives (the collection has just ended) — a few lines per second, on stdout.
 */
const TRACED: EmperorFlavour = { label: 'compiled, --trace-gc (node --trace-gc bin/emperor.js)', nodeArgs: ['--trace-gc', EMPEROR_BIN] };
const GC_LINE = /\d+ ms: ([A-Za-z][A-Za-z ()-]*?) [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms/;

/** Collects the emperor's --trace-gc lines from its stdout. */
function emperorGc(emp: EmperorProcess, into: GcEvent[]): void {
  let partial = '';
  emp.child.stdout?.on('data', (d: Buffer) => {
    const at = nowMs();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = GC_LINE.exec(line);
      if (m !== null) into.push({ who: 'emperor', kind: m[1] ?? '?', end: at, pauseMs: Number(m[2]) });
    }
  });
}

/** The bench's own collections (PerformanceObserver), for the whole run. */
const benchGcs: GcEvent[] = [];
const perfOffset = nowMs() - performance.now();
const gcKinds: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = ((e as PerformanceEntry & { detail?: { kind?: number } | null }).detail ?? null)?.kind ?? -1;
    benchGcs.push({ who: 'bench', kind: gcKinds[kind] ?? String(kind), end: perfOffset + e.startTime + e.duration, pauseMs: e.duration });
  }
});

/** Collections whose pause overlaps [from, to] (with `slackMs` for the stdout stamp's delay). */
const gcsIn = (gcs: readonly GcEvent[], from: number, to: number, slackMs = 0): GcEvent[] => gcs.filter((g) => g.end - g.pauseMs <= to && g.end + slackMs >= from);

/** "emperor Mark-Compact 28.1 ms, bench minor 1.2 ms" or "no GC". */
function describeGcs(gcs: readonly GcEvent[]): string {
  return gcs.length === 0 ? 'no GC' : gcs.map((g) => `${g.who} ${g.kind} ${f1(g.pauseMs)} ms`).join(', ');
}

/** Per kind: count, total and longest pause. */
function gcTotals(gcs: readonly GcEvent[]): Record<string, { n: number; total_ms: number; max_ms: number }> {
  const out: Record<string, { n: number; total_ms: number; max_ms: number }> = {};
  for (const g of gcs) {
    const t = (out[`${g.who} ${g.kind}`] ??= { n: 0, total_ms: 0, max_ms: 0 });
    t.n++;
    t.total_ms = Math.round((t.total_ms + g.pauseMs) * 100) / 100;
    t.max_ms = Math.max(t.max_ms, g.pauseMs);
  }
  return out;
}

// --- the emperor's CPU time and involuntary context switches, from /proc ----------------------------

const CLK_TCK = TICKS_PER_SECOND;

/** CPU time (user + system, all threads) in ms and involuntary context switches of a process so far. */
function cpuOf(pid: number): { cpuMs: number; involuntary: number } | null {
  try {
    const st = readStat(pid);
    if (st === null) return null;
    const ticks = st.ticks;
    const m = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return { cpuMs: (ticks * 1000) / CLK_TCK, involuntary: Number(m?.[1] ?? NaN) };
  } catch {
    return null;
  }
}

/** What a stretch of time cost the emperor: CPU ms (all its threads) and involuntary context switches. */
function cpuDelta(a: ReturnType<typeof cpuOf>, b: ReturnType<typeof cpuOf>): { cpu_ms: number; involuntary_switches: number } {
  return a === null || b === null ? { cpu_ms: NaN, involuntary_switches: NaN } : { cpu_ms: b.cpuMs - a.cpuMs, involuntary_switches: b.involuntary - a.involuntary };
}

// --- spawn -> exit of a command ------------------------------------------------------------------

/** One timed command. */
interface Cmd {
  key: string;
  label: string;
  args: string[];
}

/** spawn -> close of `node ARGS` with EMPEROR_STATE_DIR set; stdout is drained (a pipe, not a TTY). */
async function timeCommand(args: string[], stateDir: string): Promise<{ ms: number; code: number | null; stdoutBytes: number; stdoutLines: number; stderr: string }> {
  const t0 = nowMs();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EMPEROR_STATE_DIR: stateDir } });
  let bytes = 0;
  let lines = 0;
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    bytes += d.length;
    for (const b of d) if (b === 10) lines++;
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  return { ms: nowMs() - t0, code, stdoutBytes: bytes, stdoutLines: lines, stderr };
}

// --- one fleet -----------------------------------------------------------------------------------

/** Everything measured on one fleet. */
interface FleetResult {
  vassals: number;
  all_running_ms: number;
  doc_bytes: number;
  /** part 1: connect -> whole document received and parsed, SEQ_READS sequential reads. */
  stats_read_ms: Summary99;
  stats_connect_ms: Summary;
  stats_first_byte_ms: Summary;
  stats_eof_ms: Summary;
  /** the slowest part-1 read: seconds after the emperor started (its rescan runs every 30 s). */
  slowest_read_at_s: number;
  /** JSON.parse / JSON.stringify of this document inside the bench process, median of 20 (the client's share, and the emperor's stringify share). */
  bench_parse_ms: number;
  bench_stringify_ms: number;
  /** part 2: spawn -> exit, CTL_ROUNDS rounds each, interleaved. */
  ctl_ms: Record<string, Summary>;
  ctl_stdout: Record<string, { bytes: number; lines: number }>;
  /** part 3. */
  idle_ping_ms: Summary99;
  burst_read_ms: Summary;
  burst_median_ms: Summary;
  burst_max_ms: Summary;
  burst_ping_max_ms: Summary;
  /** sequential reads to EOF (no parse): total / RENDER_READS. */
  render_reads_total_ms: number;
  render_reads_avg_ms: number;
  render_first_byte_ms: Summary;
  pinged_read_ms: Summary;
  pinged_ping_max_ms: number;
  pinged_ping_ms: Summary99;
  ping_answers: string[];
  /** the emperor's CPU time (/proc, all its threads, 1/CLK_TCK resolution) and involuntary switches during part 1 and during the RENDER_READS reads. */
  emperor_cpu_part1: { cpu_ms: number; involuntary_switches: number };
  emperor_cpu_render_reads: { cpu_ms: number; involuntary_switches: number };
  /** collections while parts 1 and 3 ran, per `who kind`. */
  gc_during: Record<string, { n: number; total_ms: number; max_ms: number }>;
  /** the slowest part-1 reads, the slowest tiny requests, and the collections that overlapped each. */
  stalls: Array<{ what: string; ms: number; gcs: string }>;
  still_running: number;
  restarts: number;
  stop_ms: number;
  exit_code: number | null;
  leftovers: string[];
  problems: string[];
  samples: { stats_read_ms: number[]; burst_max_ms: number[]; burst_ping_max_ms: number[]; ctl_ms: Record<string, number[]> };
}

const CMDS: Cmd[] = [
  { key: 'node_e_0', label: 'node -e 0 (floor)', args: ['-e', '0'] },
  { key: 'ctl_help', label: 'node bin/emperorctl.js --help', args: [join(ROOT, 'bin/emperorctl.js'), '--help'] },
  { key: 'ctl_status', label: 'node bin/emperorctl.js status', args: [join(ROOT, 'bin/emperorctl.js'), 'status'] },
  { key: 'ctl_status_json', label: 'node bin/emperorctl.js status --json', args: [join(ROOT, 'bin/emperorctl.js'), 'status', '--json'] },
];

async function fleet(n: number): Promise<FleetResult> {
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

function printFleet(r: FleetResult, floor: FleetResult | null): void {
  const s = r.stats_read_ms;
  console.log(`fleet of ${r.vassals} (all RUNNING after ${r.all_running_ms} ms, then ${SETTLE_MS / 1000} s idle); stats document ${r.doc_bytes} bytes (${f1(r.doc_bytes / 1024)} KiB)`);
  console.log(`  1. stats read, connect -> parsed (${SEQ_READS} sequential): median ${f2(s.median)} ms, p90 ${f2(s.p90)} ms, p99 ${f2(s.p99)} ms, max ${f2(s.max)} ms, min ${f2(s.min)} ms`);
  console.log(`     phases (medians): connected ${f2(r.stats_connect_ms.median)} ms, first byte ${f2(r.stats_first_byte_ms.median)} ms, EOF ${f2(r.stats_eof_ms.median)} ms, parsed ${f2(s.median)} ms; slowest read at +${r.slowest_read_at_s} s after the emperor started (it rescans every 30 s)`);
  console.log(
    `     the emperor during these ${SEQ_READS} reads: ${f1(r.emperor_cpu_part1.cpu_ms)} ms of CPU (/proc, all threads, ${1000 / CLK_TCK} ms ticks) = ${f2(r.emperor_cpu_part1.cpu_ms / SEQ_READS)} ms per read; ${r.emperor_cpu_part1.involuntary_switches} involuntary context switches`,
  );
  console.log(`     in the bench process, this document: JSON.parse ${f2(r.bench_parse_ms)} ms, JSON.stringify ${f2(r.bench_stringify_ms)} ms (medians of 20)`);
  if (r.vassals === 500)
    console.log(`     issue: target ${ANCHORS.target_ms_at_500} ms at 500 vassals; uWSGI Emperor stats socket ${ANCHORS.uwsgi_emperor_stats_ms} ms (issue's machine) — here median ${f2(s.median)} ms, p99 ${f2(s.p99)} ms`);
  else console.log(`     issue: target ${ANCHORS.target_ms_at_500} ms at 500 vassals; uWSGI Emperor stats socket ${ANCHORS.uwsgi_emperor_stats_ms} ms (issue's machine; this fleet is ${r.vassals})`);
  console.log(`  2. spawn -> exit, ${CTL_ROUNDS} rounds each, interleaved, after 1 warm-up round:`);
  for (const c of CMDS) {
    const m = r.ctl_ms[c.key];
    const o = r.ctl_stdout[c.key];
    if (m === undefined) continue;
    console.log(`     ${c.label.padEnd(38)} median ${f1(m.median).padStart(6)} ms, p90 ${f1(m.p90).padStart(6)} ms, min ${f1(m.min).padStart(6)} ms, max ${f1(m.max).padStart(6)} ms  (stdout ${o?.bytes ?? 0} bytes, ${o?.lines ?? 0} lines)`);
  }
  const st = r.ctl_ms['ctl_status'];
  const help = r.ctl_ms['ctl_help'];
  const bare = r.ctl_ms['node_e_0'];
  const js = r.ctl_ms['ctl_status_json'];
  if (st !== undefined && help !== undefined && bare !== undefined && js !== undefined)
    console.log(
      `     medians: status - --help ${f1(st.median - help.median)} ms (the request + rendering), --help - node -e 0 ${f1(help.median - bare.median)} ms (loading emperorctl), status --json - --help ${f1(js.median - help.median)} ms; mins: ${f1(st.min - help.min)}, ${f1(help.min - bare.min)}, ${f1(js.min - help.min)} ms (spawn noise here: node -e 0 p90 - median = ${f1(bare.p90 - bare.median)} ms)`,
    );
  console.log(`     issue (its machine): supervisorctl status ${ANCHORS.supervisorctl_status_ms} ms, pm2 jlist ${ANCHORS.pm2_jlist_ms} ms`);
  console.log(`  3. event-loop blocking, seen from outside; tiny request = one line on a kept-open control connection, answered \`bad-request\`:`);
  console.log(`     tiny request alone: median ${f2(r.idle_ping_ms.median)} ms, p99 ${f2(r.idle_ping_ms.p99)} ms, max ${f2(r.idle_ping_ms.max)} ms (n=${r.idle_ping_ms.n})`);
  console.log(
    `     ${BURSTS} bursts of ${BURST_SIZE} concurrent stats reads (connect -> EOF): median read ${f2(r.burst_read_ms.median)} ms, max ${f2(r.burst_read_ms.max)} ms; per burst: median of medians ${f2(r.burst_median_ms.median)} ms, median of maxima ${f2(r.burst_max_ms.median)} ms`,
  );
  console.log(
    `     tiny request in flight during a burst: slowest per burst median ${f2(r.burst_ping_max_ms.median)} ms, worst ${f2(r.burst_ping_max_ms.max)} ms (extra over idle median: ${f2(r.burst_ping_max_ms.median - r.idle_ping_ms.median)} ms for ${BURST_SIZE} renders)`,
  );
  console.log(
    `     one read at a time (${PINGED_READS} reads, 5 ms apart), tiny request alongside: read median ${f2(r.pinged_read_ms.median)} ms; tiny request median ${f2(r.pinged_ping_ms.median)} ms, p99 ${f2(r.pinged_ping_ms.p99)} ms, max ${f2(r.pinged_ping_max_ms)} ms (n=${r.pinged_ping_ms.n})`,
  );
  console.log(`     ${RENDER_READS} sequential reads to EOF (no parse): ${f1(r.render_reads_total_ms)} ms total, ${f2(r.render_reads_avg_ms)} ms each; first byte median ${f2(r.render_first_byte_ms.median)} ms`);
  console.log(
    `     the emperor during these ${RENDER_READS} reads: ${f1(r.emperor_cpu_render_reads.cpu_ms)} ms of CPU = ${f2(r.emperor_cpu_render_reads.cpu_ms / RENDER_READS)} ms per read; ${r.emperor_cpu_render_reads.involuntary_switches} involuntary context switches`,
  );
  if (floor !== null && floor !== r) {
    const perRead = r.render_reads_avg_ms - floor.render_reads_avg_ms;
    const perFirstByte = r.render_first_byte_ms.median - floor.render_first_byte_ms.median;
    const perBurst = (r.burst_max_ms.median - floor.burst_max_ms.median) / BURST_SIZE;
    console.log(
      `     per-render cost estimates (minus the ${floor.vassals}-vassal floor): avg read ${f2(perRead)} ms; median first byte ${f2(perFirstByte)} ms; burst max / ${BURST_SIZE}: ${f2(perBurst)} ms  => ~${f1((perFirstByte / (r.vassals - floor.vassals)) * 1000)} µs per vassal (first byte)`,
    );
  }
  console.log(`  fleet still ${r.still_running}/${r.vassals} RUNNING with ${r.restarts} restarts at the end; SIGTERM -> exit ${r.stop_ms} ms, exit code ${r.exit_code}; left behind: ${r.leftovers.length === 0 ? 'nothing' : r.leftovers.join('; ')}`);
  if (r.ping_answers.length > 0) console.log(`  tiny request's answer: ${r.ping_answers.join(' | ')}`);
  const gcLine = Object.entries(r.gc_during).map(([k, v]) => `${k} ×${v.n} (total ${f1(v.total_ms)} ms, longest ${f1(v.max_ms)} ms)`);
  console.log(`  GC while parts 1 and 3 ran: ${gcLine.length === 0 ? 'none' : gcLine.join('; ')}`);
  for (const st of r.stalls) console.log(`  stall: ${st.what}: ${f2(st.ms)} ms — overlapping: ${st.gcs}`);
  for (const p of r.problems) console.log(`  problem: ${p}`);
}

async function main(): Promise<void> {
  if (SIZES.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(USAGE);
  cleanupOnInterrupt();
  gcObserver.observe({ entryTypes: ['gc'] });
  onCleanup(async () => gcObserver.disconnect());
  const loadBefore = loadavg()[0] ?? NaN;
  const stale = distWarning();
  if (stale !== null) console.log(`warning: ${stale}`);
  console.log(`stats-latency: node ${process.version}, ${platform()} ${arch()}, ${cpus().length} CPUs; fleets of ${[1, ...SIZES.filter((n) => n !== 1)].join(', ')} \`sleep 100000\` vassals, emperor ${TRACED.label}`);
  console.log(
    `issue's anchors (its machine, not measured here): answer within ${ANCHORS.target_ms_at_500} ms at 500 vassals; uWSGI Emperor stats socket ${ANCHORS.uwsgi_emperor_stats_ms} ms; supervisorctl status ${ANCHORS.supervisorctl_status_ms} ms; pm2 jlist ${ANCHORS.pm2_jlist_ms} ms`,
  );
  const results: FleetResult[] = [];
  const floor = await fleet(1);
  results.push(floor);
  printFleet(floor, null);
  for (const n of SIZES) {
    if (n === 1) continue;
    const r = await fleet(n);
    results.push(r);
    printFleet(r, floor);
  }
  await cleanupAll();
  const loadAfter = loadavg()[0] ?? NaN;
  console.log(`1-min load average: ${loadBefore.toFixed(2)} at start, ${loadAfter.toFixed(2)} at end (other work on the machine skews these numbers)`);
  console.log(
    JSON.stringify({
      bench: 'stats-latency',
      node: process.version,
      cpus: cpus().length,
      loadavg_1m: [loadBefore, loadAfter],
      sizes: results.map((r) => r.vassals),
      anchors_ms: ANCHORS,
      per_render_estimate_ms: Object.fromEntries(
        results
          .filter((r) => r !== floor)
          .map((r) => [
            r.vassals,
            {
              avg_read_minus_floor: Math.round((r.render_reads_avg_ms - floor.render_reads_avg_ms) * 1000) / 1000,
              first_byte_minus_floor: Math.round((r.render_first_byte_ms.median - floor.render_first_byte_ms.median) * 1000) / 1000,
              burst_max_minus_floor_per_read: Math.round(((r.burst_max_ms.median - floor.burst_max_ms.median) / BURST_SIZE) * 1000) / 1000,
            },
          ]),
      ),
      fleets: results,
      problems: results.flatMap((r) => r.problems.map((p) => `${r.vassals}: ${p}`)),
    }),
  );
}

try {
  await main();
} catch (err) {
  console.error(`stats-latency failed: ${err instanceof Error ? err.stack : String(err)}`);
  await cleanupAll();
  process.exitCode = 1;
}
