// Log throughput: a child `cat`ing 200 MB of 100-byte lines straight to a file (three ways), through the
// emperor (exact rotation, 50M x 4 files) and through supervisord; the child's wall time, the supervisor's
// CPU seconds, whether every line arrived whole; then the stats socket's latency while a vassal floods.
import { spawn, spawnSync } from 'node:child_process';
import { listPids, readStat, TICKS_PER_SECOND } from './lib/proc.ts';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import {
  alive,
  cleanupAll,
  cleanupOnInterrupt,
  cmdline,
  COMPILED,
  distWarning,
  EmperorProcess,
  formatSummary,
  groupMembers,
  nowMs,
  onCleanup,
  readStats,
  short,
  signal,
  sleep,
  summarize,
  tempRoot,
  waitFor,
  type Summary,
} from './support.ts';

/** Repetitions of each run (plain, emperor, supervisord interleaved). */
const REPS = Number(process.argv[2] ?? 5);
/** The test file: LINES lines of LINE_BYTES bytes (`line N ` padded with 'x', then '\n'). */
const LINE_BYTES = 100;
const LINES = 2_097_152;
const TOTAL_BYTES = LINE_BYTES * LINES; // 200 MiB
const MIB = 1024 * 1024;
const TOTAL_MB = TOTAL_BYTES / MIB;
/** Lines per generation batch: 655 x 100 B = 65,500 B, just under 64 KiB. */
const BATCH_LINES = Math.floor((64 * 1024) / LINE_BYTES);
/** The emperor's defaults (log-max-size 50M, log-backups 5); supervisord is given the same. */
const MAX_LOG_BYTES = 50 * MIB;
/** A size that is neither a multiple of 64 KiB nor of the 100-byte lines: one extra run of each supervisor. */
const UNALIGNED_MAX = 50_000_050;
/** Quiet time after a supervisor answers, before its CPU is read. */
const SETTLE_MS = 500;
/** Flood check: stats reads, their spacing, and idle reads before the flood for comparison. */
const FLOOD_READS = 50;
const FLOOD_GAP_MS = 100;
const IDLE_READS = 20;
const IDLE_GAP_MS = 25;

/** The issue's numbers (its machine, same 200 MB; not measured here). */
const ANCHORS = [
  { name: 'plain file (issue)', mbps: 402, cpu: null, rotating: false },
  { name: 'supervisord (issue)', mbps: 167, cpu: 0.48, rotating: true },
  { name: 'PM2 (issue)', mbps: 102, cpu: 1.77, rotating: true },
  { name: 's6-log (issue)', mbps: 110, cpu: 1.6, rotating: true },
  { name: 'uWSGI child-owned file (issue)', mbps: 382, cpu: 0.01, rotating: false },
] as const;
const TARGET = { mbps: 300, cpu: 0.25 };

// --- /proc -----------------------------------------------------------------------------------------

const CLK_TCK = TICKS_PER_SECOND;

/** CPU time of a process (all its threads), in seconds; NaN when it is gone. */
interface Cpu {
  user: number;
  sys: number;
}

/** utime and stime of a process (all its threads), from /proc/PID/stat. */
function cpuOf(pid: number): Cpu {
  const st = readStat(pid);
  return st === null ? { user: NaN, sys: NaN } : { user: st.utime / CLK_TCK, sys: st.stime / CLK_TCK };
}

/** utime + stime of a process (all its threads), in seconds; NaN when it is gone. */
function cpuSeconds(pid: number): number {
  const c = cpuOf(pid);
  return c.user + c.sys;
}

/** CPU used since `before`. */
function cpuSince(pid: number, before: Cpu): Cpu {
  const now = cpuOf(pid);
  return { user: now.user - before.user, sys: now.sys - before.sys };
}

/** Counters of a process (all its threads) that explain its CPU time: syscalls, faults, context switches. */
interface Counters {
  /** read-type and write-type syscalls (/proc/PID/io syscr, syscw). */
  reads: number;
  writes: number;
  /** minor page faults (/proc/PID/stat). */
  minflt: number;
  /** voluntary and involuntary context switches, summed over /proc/PID/task/*. */
  voluntary: number;
  involuntary: number;
}

function countersOf(pid: number): Counters {
  const c: Counters = { reads: NaN, writes: NaN, minflt: NaN, voluntary: 0, involuntary: 0 };
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1');
    c.reads = Number(/^syscr:\s+(\d+)/m.exec(io)?.[1] ?? NaN);
    c.writes = Number(/^syscw:\s+(\d+)/m.exec(io)?.[1] ?? NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    c.minflt = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
      c.voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0);
      c.involuntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0);
    }
  } catch {
    // gone: what was read stays
  }
  return c;
}

function countersSince(pid: number, before: Counters): Counters {
  const now = countersOf(pid);
  return {
    reads: now.reads - before.reads,
    writes: now.writes - before.writes,
    minflt: now.minflt - before.minflt,
    voluntary: now.voluntary - before.voluntary,
    involuntary: now.involuntary - before.involuntary,
  };
}

/** Bytes a process has passed to write() and friends (/proc/PID/io `wchar`); NaN when unreadable. */
function wchar(pid: number): number {
  try {
    const m = /^wchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'));
    return m === null ? NaN : Number(m[1]);
  } catch {
    return NaN;
  }
}

/** Live processes whose command line contains `needle` (not this one). */
function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    if (cmdline(pid).includes(needle) && alive(pid)) out.push(pid);
  }
  return out;
}

// --- the test file ---------------------------------------------------------------------------------

/** Writes LINES numbered lines to `path` in ~64 KiB batches; returns the time it took. */
function makeTestFile(path: string): number {
  const t0 = nowMs();
  const template = Buffer.alloc(BATCH_LINES * LINE_BYTES, 0x78);
  for (let i = 0; i < BATCH_LINES; i++) template[i * LINE_BYTES + LINE_BYTES - 1] = 0x0a;
  const fd = openSync(path, 'w');
  try {
    for (let n = 0; n < LINES; n += BATCH_LINES) {
      const k = Math.min(BATCH_LINES, LINES - n);
      const buf = Buffer.from(template.subarray(0, k * LINE_BYTES));
      for (let i = 0; i < k; i++) buf.write(`line ${n + i} `, i * LINE_BYTES, 'latin1');
      writeSync(fd, buf);
    }
  } finally {
    closeSync(fd);
  }
  return nowMs() - t0;
}

function sha1Files(paths: readonly string[]): string {
  const h = createHash('sha1');
  for (const p of paths) h.update(readFileSync(p));
  return h.digest('hex');
}

// --- checking a rotated log --------------------------------------------------------------------------

interface LogFile {
  name: string;
  size: number;
  endsWithNewline: boolean;
}

interface LogCheck {
  files: LogFile[];
  bytes: number;
  /** the files concatenated oldest first equal the test file byte for byte. */
  identical: boolean;
  /** lines entirely inside one file. */
  whole: number;
  /** lines split across two files (whole again when the files are joined). */
  cut: number;
  /** numbered lines that appear nowhere. */
  lost: number;
  /** lines that are not a test line (fragments, garbage); 0 when identical. */
  bad: number;
  maxFileBytes: number;
}

/** OUT and OUT.N in `dir`, oldest first (OUT.N ... OUT.1, OUT). */
function rotatedFiles(dir: string, base: string): string[] {
  const numbered = readdirSync(dir)
    .map((n) => ({ n, m: new RegExp(`^${base.replace(/\./g, '\\.')}\\.(\\d+)$`).exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(b.m[1]) - Number(a.m[1]))
    .map((x) => join(dir, x.n));
  return existsSync(join(dir, base)) ? [...numbered, join(dir, base)] : numbered;
}

function totalSize(dir: string, base: string): number {
  let sum = 0;
  for (const p of rotatedFiles(dir, base)) {
    try {
      sum += statSync(p).size;
    } catch {
      // renamed between the listing and the stat: the next poll sees it
    }
  }
  return sum;
}

function checkLog(dir: string, base: string, expectedSha1: string): LogCheck {
  const paths = rotatedFiles(dir, base);
  const files: LogFile[] = paths.map((p) => {
    const size = statSync(p).size;
    let endsWithNewline = false;
    if (size > 0) {
      const fd = openSync(p, 'r');
      const b = Buffer.alloc(1);
      try {
        readFileTail(fd, b, size - 1);
      } finally {
        closeSync(fd);
      }
      endsWithNewline = b[0] === 0x0a;
    }
    return { name: p.slice(dir.length + 1), size, endsWithNewline };
  });
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const maxFileBytes = files.reduce((m, f) => Math.max(m, f.size), 0);
  const identical = bytes === TOTAL_BYTES && sha1Files(paths) === expectedSha1;
  if (identical) {
    // Lines are 100 bytes and files far longer: each file that does not end in '\n' cuts one line.
    const cut = files.slice(0, -1).filter((f) => f.size > 0 && !f.endsWithNewline).length;
    return { files, bytes, identical, whole: LINES - cut, cut, lost: 0, bad: 0, maxFileBytes };
  }
  return { files, bytes, identical, ...lineByLine(paths), maxFileBytes };
}

/** Reads the byte at `position` into `into`. */
function readFileTail(fd: number, into: Buffer, position: number): void {
  readSync(fd, into, 0, 1, position);
}

/** The slow path when the files differ from the test file: every line parsed and counted. */
function lineByLine(paths: readonly string[]): { whole: number; cut: number; lost: number; bad: number } {
  const bufs = paths.map((p) => readFileSync(p));
  const boundaries: number[] = [];
  let off = 0;
  for (const b of bufs.slice(0, -1)) boundaries.push((off += b.length));
  const all = Buffer.concat(bufs);
  const seen = new Uint8Array(LINES);
  let whole = 0;
  let cut = 0;
  let bad = 0;
  let bi = 0;
  let start = 0;
  while (start < all.length) {
    let end = all.indexOf(0x0a, start);
    if (end < 0) end = all.length;
    while (bi < boundaries.length && (boundaries[bi] as number) <= start) bi++;
    const spans = bi < boundaries.length && (boundaries[bi] as number) <= end;
    const n = parseTestLine(all, start, end);
    if (n === null || seen[n] === 1) bad++;
    else {
      seen[n] = 1;
      if (spans) cut++;
      else whole++;
    }
    start = end + 1;
  }
  let lost = 0;
  for (let i = 0; i < LINES; i++) if (seen[i] === 0) lost++;
  return { whole, cut, lost, bad };
}

/** The number of a well-formed test line `all[start..end)` (no '\n'), or null. */
function parseTestLine(all: Buffer, start: number, end: number): number | null {
  if (end - start !== LINE_BYTES - 1 || all.toString('latin1', start, start + 5) !== 'line ' || all[end - 1] !== 0x78) return null;
  const sp = all.indexOf(0x20, start + 5);
  if (sp < 0 || sp >= end) return null;
  const n = Number(all.toString('latin1', start + 5, sp));
  return Number.isInteger(n) && n >= 0 && n < LINES ? n : null;
}

function describeCheck(c: LogCheck): string {
  const sizes = c.files.map((f) => `${f.name} ${f.size}${f.size === 0 ? ' (empty)' : f.endsWithNewline ? '' : ' (ends mid-line)'}`).join(', ');
  return `${c.files.length} files [${sizes}]; ${c.identical ? 'identical to the test file' : `NOT identical (${c.bytes} of ${TOTAL_BYTES} bytes)`}; lines whole ${c.whole}, cut across files ${c.cut}, lost ${c.lost}${c.bad > 0 ? `, not test lines ${c.bad}` : ''}`;
}

// --- plain file ------------------------------------------------------------------------------------

interface PlainRun {
  wallS: number;
  mbps: number;
  bytes: number;
}

/** The no-supervisor baselines: each writes F to OUT with a shell command. */
const PLAIN_VARIANTS = [
  {
    key: 'cat_file',
    label: 'cat F > OUT (copy_file_range)',
    note: 'GNU cat between two regular files copies in the kernel (copy_file_range): the child never write()s',
    command: (src: string, out: string): string => `cat '${src}' > '${out}'`,
  },
  {
    key: 'dd_file',
    label: 'dd bs=128K (read/write)',
    note: 'dd if=F of=OUT bs=128K: read() and write() of 128 KiB, as cat does into a pipe',
    command: (src: string, out: string): string => `dd if='${src}' of='${out}' bs=128K status=none`,
  },
  {
    key: 'cat_pipe_cat',
    label: 'cat F | cat > OUT (C pipe reader)',
    note: 'the same child writing into a pipe that a C reader (cat) copies to a file, for scale: a supervisor reads a pipe too (wall = the whole pipeline)',
    command: (src: string, out: string): string => `cat '${src}' | cat > '${out}'`,
  },
] as const;

async function plainRun(src: string, dir: string, command: (src: string, out: string) => string): Promise<PlainRun> {
  mkdirSync(dir);
  const out = join(dir, 'OUT');
  const t0 = nowMs();
  const child = spawn('sh', ['-c', command(src, out)], { stdio: 'ignore' });
  const stop = onCleanup(async () => {
    if (child.pid !== undefined && child.exitCode === null) signal(child.pid, 'SIGKILL');
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const wallS = (nowMs() - t0) / 1000;
  await stop();
  if (code !== 0) throw new Error(`sh -c '${command(src, out)}' exited with ${code}`);
  const bytes = statSync(out).size;
  rmSync(dir, { recursive: true, force: true });
  return { wallS, mbps: TOTAL_MB / wallS, bytes };
}

// --- through the emperor -----------------------------------------------------------------------------

interface SupervisedRun {
  wallS: number;
  mbps: number;
  cpuS: number;
  cpu: Cpu;
  counters: Counters;
  /** from the child's exit to the last byte in the log files (ms); polled every 5 ms. */
  drainMs: number;
  /** from the child's start (event line) to the last byte in the log files, in seconds. */
  lastByteS: number;
  check: LogCheck;
  problems: string[];
}

/** Writes `text` to staging/NAME, then renames it into the vassal dir. */
function dropVassal(staging: string, vassals: string, name: string, text: string): void {
  const tmp = join(staging, name);
  writeFileSync(tmp, text);
  renameSync(tmp, join(vassals, name));
}

/** The ISO time (ms since epoch) of the first emperor event line matching `re`, once it is there. */
function eventTime(emp: EmperorProcess, re: RegExp, what: string, timeoutMs: number): Promise<{ at: number; line: string }> {
  return waitFor(
    what,
    () => {
      for (const line of emp.stdout.split('\n')) {
        if (!re.test(line)) continue;
        const at = Date.parse(line.slice(0, line.indexOf(' ')));
        return Number.isFinite(at) ? { at, line } : null;
      }
      if (emp.hasExited) throw new Error(`the emperor exited (${emp.exitCode ?? emp.exitSignal}) while waiting for ${what}`);
      return null;
    },
    timeoutMs,
    5,
  );
}

/**
 * Polls (every 5 ms, from before the child starts) until the log files hold TOTAL_BYTES, or have
 * stopped growing for 2 s once something was written (30 s if nothing ever is); returns when, in Date.now() ms.
 */
async function logComplete(dir: string, base: string): Promise<number> {
  let last = 0;
  let lastChange = Date.now();
  for (;;) {
    const size = totalSize(dir, base);
    const now = Date.now();
    if (size === TOTAL_BYTES) return now;
    if (size !== last) {
      last = size;
      lastChange = now;
    } else if (now - lastChange > (size > 0 ? 2000 : 30000)) return lastChange;
    await sleep(5);
  }
}

/** log-max-size: the default (50M) unless given (bytes). */
async function emperorRun(src: string, srcSha1: string, dir: string, maxBytes: number | null = null): Promise<SupervisedRun> {
  const vassals = join(dir, 'vassals');
  const staging = join(dir, 'staging');
  const state = join(dir, 'state');
  const logs = join(dir, 'logs');
  for (const d of [vassals, staging, logs]) mkdirSync(d, { recursive: true });
  const emp = new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', state, '--metrics', 'off']);
  const problems: string[] = [];
  try {
    await waitFor('the emperor to serve stats', async () => ((await readStats(join(state, 'stats.sock'))).vassals.length === 0 ? true : null), 20000, 10);
    await sleep(SETTLE_MS);
    const cpu0 = cpuOf(emp.pid);
    const n0 = countersOf(emp.pid);
    const size = maxBytes === null ? '' : `log-max-size = ${maxBytes}\n`;
    const completing = logComplete(logs, 'OUT');
    dropVassal(staging, vassals, 'tp.ini', `[vassal]\ncommand = cat ${src}\nlog = ${join(logs, 'OUT')}\nrestart = never\nstart-secs = 0\n${size}`);
    const running = await eventTime(emp, /^\S+ tp\[0\]: RUNNING /, 'tp RUNNING', 20000);
    const exited = await eventTime(emp, /^\S+ tp\[0\]: (EXITED|FATAL|BACKOFF) /, 'tp EXITED', 120000);
    const complete = await completing;
    const cpu = cpuSince(emp.pid, cpu0);
    const counters = countersSince(emp.pid, n0);
    if (!/ EXITED pid=\d+ code=0 /.test(exited.line)) problems.push(`emperor: ${exited.line}`);
    const wallS = (exited.at - running.at) / 1000;
    const stop = await emp.stop();
    problems.push(...emp.problems().map((l) => `emperor said: ${l}`));
    if (stop.exitCode !== 0) problems.push(`emperor exit: code ${stop.exitCode} signal ${stop.exitSignal}`);
    problems.push(...stop.leftovers.map((l) => `left behind by the emperor (killed): ${l}`));
    const check = checkLog(logs, 'OUT', srcSha1);
    const lastByteS = (complete - running.at) / 1000;
    return { wallS, mbps: TOTAL_MB / wallS, cpuS: cpu.user + cpu.sys, cpu, counters, drainMs: complete - exited.at, lastByteS, check, problems };
  } finally {
    await emp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The emperor's CPU for the same vassal with an empty file (`cat EMPTY`): the fixed cost of picking
 * up the file, spawning, and handling the exit, without the copy. Fresh emperor, like emperorRun.
 */
async function emperorFixedCost(empty: string, dir: string): Promise<{ cpuS: number; problems: string[] }> {
  const vassals = join(dir, 'vassals');
  const staging = join(dir, 'staging');
  const state = join(dir, 'state');
  const logs = join(dir, 'logs');
  for (const d of [vassals, staging, logs]) mkdirSync(d, { recursive: true });
  const emp = new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', state, '--metrics', 'off']);
  const problems: string[] = [];
  try {
    await waitFor('the emperor to serve stats', async () => ((await readStats(join(state, 'stats.sock'))).vassals.length === 0 ? true : null), 20000, 10);
    await sleep(SETTLE_MS);
    const cpu0 = cpuSeconds(emp.pid);
    dropVassal(staging, vassals, 'tp.ini', `[vassal]\ncommand = cat ${empty}\nlog = ${join(logs, 'OUT')}\nrestart = never\nstart-secs = 0\n`);
    await eventTime(emp, /^\S+ tp\[0\]: (EXITED|FATAL|BACKOFF) /, 'tp EXITED', 20000);
    await sleep(100);
    const cpuS = cpuSeconds(emp.pid) - cpu0;
    const stop = await emp.stop();
    problems.push(...emp.problems().map((l) => `emperor said: ${l}`));
    if (stop.exitCode !== 0) problems.push(`emperor exit: code ${stop.exitCode} signal ${stop.exitSignal}`);
    problems.push(...stop.leftovers.map((l) => `left behind by the emperor (killed): ${l}`));
    return { cpuS, problems };
  } finally {
    await emp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- through supervisord -------------------------------------------------------------------------------

/** Runs a command to completion (async, so the event loop keeps going). */
function run(argv: readonly string[], timeoutMs = 20000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveRun) => {
    const [cmd = '', ...args] = argv;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.pid !== undefined && signal(child.pid, 'SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolveRun({ code: null, out: err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out });
    });
  });
}

/** Pids of running supervisord processes. */
function supervisordPids(): number[] {
  return processesMatching('supervisord').filter((p) => /(^|\/|\s)supervisord(\s|$)/.test(cmdline(p)));
}

/** Whether `supervisord` is on PATH; no install here (the suite's driver installs peers: `npm run bench -- --only logs`). */
function ensureSupervisord(): { ok: boolean; note: string | null } {
  const has = spawnSync('sh', ['-c', 'command -v supervisord && command -v supervisorctl'], { stdio: 'ignore' }).status === 0;
  return has ? { ok: true, note: null } : { ok: false, note: 'supervisord is not installed: supervisord runs skipped (npm run bench installs the peers)' };
}

/** Parses supervisord's `YYYY-MM-DD HH:MM:SS,mmm` (local time) into ms. */
function supervisordTime(line: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3})/.exec(line);
  if (m === null) return NaN;
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(n[0], n[1] - 1, n[2], n[3], n[4], n[5], n[6]).getTime();
}

/** stdout_logfile_maxbytes: 50MB (what supervisord reads as 50 MiB) unless given (bytes). */
async function supervisordRun(src: string, srcSha1: string, dir: string, maxBytes: number | null = null): Promise<SupervisedRun> {
  const logs = join(dir, 'logs');
  const childlogs = join(dir, 'childlogs');
  mkdirSync(logs, { recursive: true });
  mkdirSync(childlogs);
  const conf = join(dir, 'supervisord.conf');
  const sock = join(dir, 'supervisor.sock');
  const supLog = join(dir, 'supervisord.log');
  writeFileSync(
    conf,
    [
      '[supervisord]',
      'nodaemon=true',
      `logfile=${supLog}`,
      `pidfile=${join(dir, 'supervisord.pid')}`,
      `childlogdir=${childlogs}`,
      'loglevel=info',
      '',
      '[unix_http_server]',
      `file=${sock}`,
      '',
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '',
      '[supervisorctl]',
      `serverurl=unix://${sock}`,
      '',
      '[program:tp]',
      `command=cat ${src}`,
      'autostart=false',
      'autorestart=false',
      'startsecs=0',
      `stdout_logfile=${join(logs, 'OUT')}`,
      `stdout_logfile_maxbytes=${maxBytes ?? '50MB'}`,
      'stdout_logfile_backups=5',
      '',
    ].join('\n'),
  );
  const sup = spawn('supervisord', ['-n', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let supOut = '';
  sup.stdout.on('data', (d: Buffer) => (supOut += d.toString()));
  sup.stderr.on('data', (d: Buffer) => (supOut += d.toString()));
  const supExited = new Promise<void>((r) => sup.once('exit', () => r()));
  const programPids = new Set<number>();
  const problems: string[] = [];
  const supPid = sup.pid;
  if (supPid === undefined) throw new Error('supervisord did not start');
  const stop = onCleanup(async () => {
    if (sup.exitCode === null && sup.signalCode === null) {
      signal(supPid, 'SIGTERM');
      const t = setTimeout(() => signal(supPid, 'SIGKILL'), 15000);
      await supExited;
      clearTimeout(t);
    }
    // The program runs in its own process group (supervisord calls setpgrp): check it and ours.
    const deadline = nowMs() + 1000;
    const left = (): number[] => [...programPids].filter(alive).concat(groupMembers(supPid));
    while (left().length > 0 && nowMs() < deadline) await sleep(25);
    for (const p of left()) {
      problems.push(`left behind by supervisord (killed): ${p} (${short(cmdline(p))})`);
      signal(p, 'SIGKILL');
    }
  });
  const logText = (): string => {
    try {
      return readFileSync(supLog, 'utf8');
    } catch {
      return '';
    }
  };
  const supEvent = (re: RegExp, what: string, timeoutMs: number): Promise<{ at: number; line: string }> =>
    waitFor(
      what,
      () => {
        const line = logText().split('\n').find((l) => re.test(l));
        if (line !== undefined) return { at: supervisordTime(line), line };
        if (sup.exitCode !== null || sup.signalCode !== null) throw new Error(`supervisord exited while waiting for ${what}: ${supOut.trim().slice(-300)}`);
        return null;
      },
      timeoutMs,
      5,
    );
  try {
    await waitFor(
      'supervisord to answer supervisorctl',
      async () => {
        if (sup.exitCode !== null) throw new Error(`supervisord exited ${sup.exitCode}: ${supOut.trim().slice(-300)}`);
        return /STOPPED/.test((await run(['supervisorctl', '-c', conf, 'status', 'tp'])).out) ? true : null;
      },
      20000,
      50,
    );
    await sleep(SETTLE_MS);
    const cpu0 = cpuOf(supPid);
    const n0 = countersOf(supPid);
    const completing = logComplete(logs, 'OUT');
    const started = await run(['supervisorctl', '-c', conf, 'start', 'tp']);
    if (!/started/.test(started.out)) problems.push(`supervisorctl start tp: ${started.out.trim()}`);
    const spawned = await supEvent(/ spawned: 'tp' with pid \d+/, 'tp spawned', 20000);
    programPids.add(Number(/with pid (\d+)/.exec(spawned.line)?.[1]));
    const exited = await supEvent(/ exited: tp \(/, 'tp exited', 120000);
    const complete = await completing;
    const cpu = cpuSince(supPid, cpu0);
    const counters = countersSince(supPid, n0);
    if (!/exit status 0; expected/.test(exited.line)) problems.push(`supervisord: ${exited.line}`);
    const wallS = (exited.at - spawned.at) / 1000;
    await stop();
    const check = checkLog(logs, 'OUT', srcSha1);
    const lastByteS = (complete - spawned.at) / 1000;
    return { wallS, mbps: TOTAL_MB / wallS, cpuS: cpu.user + cpu.sys, cpu, counters, drainMs: complete - exited.at, lastByteS, check, problems };
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- flood: stats latency while a vassal floods ----------------------------------------------------------

interface FloodResult {
  idle: Summary;
  flood: Summary;
  errors: number;
  windowS: number;
  cpuPercent: number;
  writeMBps: number;
  rotatedFiles: number;
  rotatedEndingMidLine: number;
  rotatedOverMax: number;
  problems: string[];
}

async function timedRead(statsPath: string): Promise<number | null> {
  const t0 = nowMs();
  try {
    await readStats(statsPath);
    return nowMs() - t0;
  } catch {
    return null;
  }
}

async function floodCheck(src: string, dir: string): Promise<FloodResult> {
  const vassals = join(dir, 'vassals');
  const staging = join(dir, 'staging');
  const state = join(dir, 'state');
  const logs = join(dir, 'logs');
  for (const d of [vassals, staging, logs]) mkdirSync(d, { recursive: true });
  const script = join(dir, 'flood.sh');
  writeFileSync(script, `while :; do cat '${src}'; done\n`);
  const statsPath = join(state, 'stats.sock');
  const emp = new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', state, '--metrics', 'off']);
  const problems: string[] = [];
  try {
    await waitFor('the emperor to serve stats', async () => ((await readStats(statsPath)).vassals.length === 0 ? true : null), 20000, 10);
    await sleep(SETTLE_MS);
    const idle: number[] = [];
    for (let i = 0; i < IDLE_READS; i++) {
      const ms = await timedRead(statsPath);
      if (ms !== null) idle.push(ms);
      await sleep(IDLE_GAP_MS);
    }
    dropVassal(staging, vassals, 'flood.ini', `[vassal]\ncommand = sh ${script}\nlog = ${join(logs, 'OUT')}\nstart-secs = 0\n`);
    await eventTime(emp, /^\S+ flood\[0\]: RUNNING /, 'flood RUNNING', 20000);
    await sleep(200);
    const t0 = nowMs();
    const cpu0 = cpuSeconds(emp.pid);
    const w0 = wchar(emp.pid);
    const flood: number[] = [];
    let errors = 0;
    for (let i = 0; i < FLOOD_READS; i++) {
      const ms = await timedRead(statsPath);
      if (ms === null) errors++;
      else flood.push(ms);
      await sleep(FLOOD_GAP_MS);
    }
    const windowS = (nowMs() - t0) / 1000;
    const cpuPercent = ((cpuSeconds(emp.pid) - cpu0) / windowS) * 100;
    const writeMBps = (wchar(emp.pid) - w0) / MIB / windowS;
    const stop = await emp.stop();
    problems.push(...emp.problems().map((l) => `emperor said: ${l}`));
    if (stop.exitCode !== 0) problems.push(`emperor exit: code ${stop.exitCode} signal ${stop.exitSignal}`);
    problems.push(...stop.leftovers.map((l) => `left behind by the emperor (killed): ${l}`));
    // The live file may end mid-line (the child was stopped mid-write); rotated ones must not.
    const rotated = rotatedFiles(logs, 'OUT').slice(0, -1);
    let midLine = 0;
    let overMax = 0;
    for (const p of rotated) {
      const size = statSync(p).size;
      if (size > MAX_LOG_BYTES) overMax++;
      const b = Buffer.alloc(1);
      const fd = openSync(p, 'r');
      try {
        readFileTail(fd, b, size - 1);
      } finally {
        closeSync(fd);
      }
      if (b[0] !== 0x0a) midLine++;
    }
    return {
      idle: summarize(idle),
      flood: summarize(flood),
      errors,
      windowS,
      cpuPercent,
      writeMBps,
      rotatedFiles: rotated.length,
      rotatedEndingMidLine: midLine,
      rotatedOverMax: overMax,
      problems,
    };
  } finally {
    await emp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- main --------------------------------------------------------------------------------------------------

const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Median, min and max of a list, for the table. */
function mmm(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = summarize(xs);
  return { median: s.median, min: s.min, max: s.max };
}

async function main(): Promise<void> {
  if (!Number.isInteger(REPS) || REPS < 1) throw new Error('usage: node --import tsx bench/log-throughput.ts [REPS=5]');
  cleanupOnInterrupt();
  const loadBefore = loadavg()[0] ?? NaN;
  const stale = distWarning();
  if (stale !== null) console.log(`warning: ${stale}`);
  console.log(`log-throughput: node ${process.version}, ${platform()} ${arch()}, ${cpus().length} CPUs, ${REPS} repetitions, 1-min load ${fmt(loadBefore)}`);
  const sup = ensureSupervisord();
  if (sup.note !== null) console.log(sup.note);
  const supVersion = sup.ok ? spawnSync('supervisord', ['--version'], { encoding: 'utf8' }).stdout.trim() : null;

  const root = tempRoot('emperor-bench-logtp');
  const src = join(root, 'lines.txt');
  const genMs = makeTestFile(src);
  const t = nowMs();
  const srcSha1 = sha1Files([src]);
  const empty = join(root, 'empty.txt');
  writeFileSync(empty, '');
  console.log(
    `test file: ${LINES} lines x ${LINE_BYTES} B = ${TOTAL_BYTES} B (${TOTAL_MB} MiB) written in ${fmt(genMs / 1000)} s (sha1 ${srcSha1.slice(0, 12)}, ${fmt((nowMs() - t) / 1000)} s)`,
  );
  console.log(`MB/s below = ${TOTAL_MB} MiB / the child's wall time; CPU = utime+stime of the supervisor process (all threads, ${CLK_TCK} Hz ticks), user/sys split`);
  console.log('wall: plain = spawn -> exit of sh -c "..."; emperor = its RUNNING -> EXITED event lines; supervisord = "spawned" -> "exited" lines of its log (all ms-precise)');
  for (const v of PLAIN_VARIANTS) console.log(`plain "${v.label}": ${v.note}`);

  const plain = new Map<string, PlainRun[]>(PLAIN_VARIANTS.map((v) => [v.key, []]));
  const emperor: SupervisedRun[] = [];
  const supervisord: SupervisedRun[] = [];
  const fixed: number[] = [];
  const problems: string[] = [];
  const cpuText = (r: SupervisedRun): string =>
    `CPU ${fmt(r.cpuS)} s (user ${fmt(r.cpu.user)}, sys ${fmt(r.cpu.sys)}; ${r.counters.reads} reads, ${r.counters.writes} writes, ` +
    `${r.counters.minflt} minor faults, ${r.counters.voluntary}+${r.counters.involuntary} ctx switches)`;
  const exactFor = (r: SupervisedRun, maxBytes: number): boolean =>
    r.check.identical && r.check.files.every((f) => f.size === 0 || f.endsWithNewline) && r.check.maxFileBytes <= maxBytes;
  const emperorLine = (label: string, r: SupervisedRun, maxBytes: number): string =>
    `${label}: wall ${fmt(r.wallS, 3)} s = ${fmt(r.mbps, 1)} MB/s, ${cpuText(r)}, last byte ${fmt(r.lastByteS, 3)} s after start (${fmt(r.drainMs, 0)} ms from the exit line); ${describeCheck(r.check)}; ${exactFor(r, maxBytes) ? 'EXACT' : 'NOT EXACT'}`;
  const supervisordLine = (label: string, r: SupervisedRun): string =>
    `${label}: wall ${fmt(r.wallS, 3)} s = ${fmt(r.mbps, 1)} MB/s, ${cpuText(r)}, last byte ${fmt(r.lastByteS, 3)} s after start (${fmt(r.drainMs, 0)} ms from the exit line); ${describeCheck(r.check)}; largest file ${r.check.maxFileBytes} B`;
  for (let rep = 1; rep <= REPS; rep++) {
    for (const v of PLAIN_VARIANTS) {
      const p = await plainRun(src, join(root, `plain-${v.key}-${rep}`), v.command);
      plain.get(v.key)?.push(p);
      console.log(`rep ${rep} plain ${v.label.padEnd(30)}: wall ${fmt(p.wallS, 3)} s = ${fmt(p.mbps, 1)} MB/s${p.bytes === TOTAL_BYTES ? '' : ` (OUT has ${p.bytes} bytes!)`}`);
    }
    const e = await emperorRun(src, srcSha1, join(root, `emperor-${rep}`));
    emperor.push(e);
    console.log(emperorLine(`rep ${rep} emperor    `, e, MAX_LOG_BYTES));
    problems.push(...e.problems.map((x) => `rep ${rep} emperor: ${x}`));
    const z = await emperorFixedCost(empty, join(root, `emperor-empty-${rep}`));
    fixed.push(z.cpuS);
    console.log(`rep ${rep} emperor, 0-byte child: CPU ${fmt(z.cpuS)} s (pickup + spawn + exit, no copy)`);
    problems.push(...z.problems.map((x) => `rep ${rep} emperor (0 bytes): ${x}`));
    if (sup.ok) {
      const r = await supervisordRun(src, srcSha1, join(root, `supervisord-${rep}`));
      supervisord.push(r);
      console.log(supervisordLine(`rep ${rep} supervisord`, r));
      problems.push(...r.problems.map((x) => `rep ${rep} supervisord: ${x}`));
    }
  }

  // 50 MiB is a multiple of the 100-byte lines and of supervisord's 64 KiB pipe reads, so its rotation
  // lands on a line boundary by luck; a size that is neither shows how each rotates (one run each).
  console.log('');
  console.log(`once each, max size ${UNALIGNED_MAX} bytes (not a multiple of 64 KiB nor of 100 B; 5 files):`);
  const eOdd = await emperorRun(src, srcSha1, join(root, 'emperor-unaligned'), UNALIGNED_MAX);
  console.log(emperorLine(`emperor     log-max-size = ${UNALIGNED_MAX}`, eOdd, UNALIGNED_MAX));
  problems.push(...eOdd.problems.map((x) => `unaligned emperor: ${x}`));
  let sOdd: SupervisedRun | null = null;
  if (sup.ok) {
    sOdd = await supervisordRun(src, srcSha1, join(root, 'supervisord-unaligned'), UNALIGNED_MAX);
    console.log(supervisordLine(`supervisord stdout_logfile_maxbytes=${UNALIGNED_MAX}`, sOdd));
    problems.push(...sOdd.problems.map((x) => `unaligned supervisord: ${x}`));
  }

  const row = (name: string, mbps: readonly number[], cpu: readonly Cpu[] | null): string => {
    const m = mmm(mbps);
    const c = cpu === null ? null : mmm(cpu.map((x) => x.user + x.sys));
    const u = cpu === null ? null : mmm(cpu.map((x) => x.user)).median;
    const k = cpu === null ? null : mmm(cpu.map((x) => x.sys)).median;
    return `${name.padEnd(34)} ${fmt(m.median, 1).padStart(7)} MB/s (min ${fmt(m.min, 1)}, max ${fmt(m.max, 1)})   ${c === null ? '' : `CPU ${fmt(c.median)} s (min ${fmt(c.min)}, max ${fmt(c.max)}; median user ${fmt(u ?? NaN)}, sys ${fmt(k ?? NaN)})`}`;
  };
  const perRun = (rs: readonly SupervisedRun[]): string => {
    const med = (f: (c: Counters) => number): string => fmt(mmm(rs.map((r) => f(r.counters))).median, 0);
    const lb = mmm(rs.map((r) => r.lastByteS)).median;
    return `start -> last byte in the files: median ${fmt(lb, 3)} s = ${fmt(TOTAL_MB / lb, 1)} MB/s; per 200 MiB: ${med((c) => c.reads)} read syscalls (${fmt(TOTAL_BYTES / 1024 / mmm(rs.map((r) => r.counters.reads)).median, 1)} KiB each), ${med((c) => c.writes)} write syscalls, ${med((c) => c.minflt)} minor faults, ${med((c) => c.voluntary + c.involuntary)} context switches`;
  };
  console.log('');
  console.log(`median of ${REPS} (this machine):`);
  for (const v of PLAIN_VARIANTS) console.log(row(`plain: ${v.label}`, (plain.get(v.key) ?? []).map((r) => r.mbps), null));
  console.log(row('emperor (exact rotation)', emperor.map((r) => r.mbps), emperor.map((r) => r.cpu)));
  console.log(`${''.padEnd(35)}${perRun(emperor)}`);
  const fixedM = mmm(fixed);
  console.log(`${'emperor, 0-byte child'.padEnd(34)} ${' '.repeat(36)}CPU ${fmt(fixedM.median)} s (min ${fmt(fixedM.min)}, max ${fmt(fixedM.max)}): fixed cost, pickup + spawn + exit`);
  if (supervisord.length > 0) {
    console.log(row(`supervisord ${supVersion ?? ''}`, supervisord.map((r) => r.mbps), supervisord.map((r) => r.cpu)));
    console.log(`${''.padEnd(35)}${perRun(supervisord)}`);
  }
  console.log("for scale, the issue's machine:");
  for (const a of ANCHORS) console.log(`${a.name.padEnd(34)} ${fmt(a.mbps, 1).padStart(7)} MB/s${a.cpu === null ? '' : `${' '.repeat(26)}CPU ${fmt(a.cpu)} s`}`);

  const eMbps = mmm(emperor.map((r) => r.mbps)).median;
  const eCpu = mmm(emperor.map((r) => r.cpuS)).median;
  const sMbps = supervisord.length > 0 ? mmm(supervisord.map((r) => r.mbps)).median : NaN;
  const sCpu = supervisord.length > 0 ? mmm(supervisord.map((r) => r.cpuS)).median : NaN;
  const allExact = emperor.every((r) => exactFor(r, MAX_LOG_BYTES)) && exactFor(eOdd, UNALIGNED_MAX);
  const rotating = ANCHORS.filter((a) => a.rotating);
  const aheadOfAnchors = rotating.every((a) => eMbps > a.mbps && (a.cpu === null || eCpu < a.cpu));
  const aheadOfSupervisord = supervisord.length > 0 ? eMbps > sMbps && eCpu < sCpu : null;
  const medianOf = (key: string): number => mmm((plain.get(key) ?? []).map((r) => r.mbps)).median;
  console.log('');
  console.log(
    `verdict (informational): emperor ${fmt(eMbps, 1)} MB/s ${eMbps >= TARGET.mbps ? '>=' : '<'} ${TARGET.mbps} target; CPU ${fmt(eCpu)} s ${eCpu <= TARGET.cpu ? '<=' : '>'} ${TARGET.cpu} s target; ` +
      `${allExact ? 'exact in every run' : 'NOT exact in every run'}; ${aheadOfAnchors ? 'ahead of' : 'NOT ahead of'} every rotating anchor of the issue on both; ` +
      `${aheadOfSupervisord === null ? 'supervisord not measured' : `${aheadOfSupervisord ? 'ahead of' : 'NOT ahead of'} supervisord measured here on both (${fmt(sMbps, 1)} MB/s, ${fmt(sCpu)} s)`}`,
  );
  console.log(
    `emperor speed = ${fmt((eMbps / medianOf('dd_file')) * 100, 0)}% of dd to a file, ${fmt((eMbps / medianOf('cat_pipe_cat')) * 100, 0)}% of cat | cat > OUT` +
      (supervisord.length > 0 ? `; supervisord = ${fmt((sMbps / medianOf('dd_file')) * 100, 0)}% of dd, ${fmt((sMbps / medianOf('cat_pipe_cat')) * 100, 0)}% of cat | cat > OUT` : ''),
  );

  console.log('');
  console.log(`flood: sh -c 'while :; do cat F; done' through the emperor (log rotation 50M x 5), ${FLOOD_READS} stats reads ${FLOOD_GAP_MS} ms apart`);
  const flood = await floodCheck(src, join(root, 'flood'));
  console.log(formatSummary('stats read, emperor idle (before)', flood.idle));
  console.log(formatSummary('stats read, vassal flooding      ', flood.flood));
  console.log(
    `flood window ${fmt(flood.windowS, 1)} s: emperor CPU ${fmt(flood.cpuPercent, 0)}% of one core, wrote ${fmt(flood.writeMBps, 0)} MB/s (/proc/PID/io wchar); ` +
      `failed reads ${flood.errors}; ${flood.rotatedFiles} rotated files, ${flood.rotatedEndingMidLine} ending mid-line, ${flood.rotatedOverMax} over 50 MiB; ` +
      `max read ${fmt(flood.flood.max)} ms ${flood.flood.max < 100 ? '<' : '>='} 100 ms wanted`,
  );
  problems.push(...flood.problems.map((x) => `flood: ${x}`));

  await cleanupAll();
  const strays = processesMatching(src);
  for (const p of strays) {
    problems.push(`still running after cleanup (killed): ${p} (${short(cmdline(p))})`);
    signal(p, 'SIGKILL');
  }
  if (existsSync(root)) problems.push(`temp dir ${root} still exists`);
  for (const p of problems) console.log(`problem: ${p}`);
  const loadAfter = loadavg()[0] ?? NaN;
  console.log(`1-min load average: ${fmt(loadBefore)} at start, ${fmt(loadAfter)} at end (other work on the machine skews these numbers)`);
  const runs = (rs: readonly SupervisedRun[]): object =>
    rs.map((r) => ({
      wall_s: r.wallS,
      mbps: r.mbps,
      cpu_s: r.cpuS,
      cpu_user_s: r.cpu.user,
      cpu_sys_s: r.cpu.sys,
      syscalls_read: r.counters.reads,
      syscalls_write: r.counters.writes,
      minor_faults: r.counters.minflt,
      ctx_switches_voluntary: r.counters.voluntary,
      ctx_switches_involuntary: r.counters.involuntary,
      drain_ms: r.drainMs,
      last_byte_s: r.lastByteS,
      files: r.check.files,
      identical: r.check.identical,
      lines_whole: r.check.whole,
      lines_cut: r.check.cut,
      lines_lost: r.check.lost,
      not_test_lines: r.check.bad,
    }));
  console.log(
    JSON.stringify({
      bench: 'log-throughput',
      node: process.version,
      cpus: cpus().length,
      loadavg_1m: [loadBefore, loadAfter],
      reps: REPS,
      bytes: TOTAL_BYTES,
      lines: LINES,
      supervisord_version: supVersion,
      plain: Object.fromEntries(
        PLAIN_VARIANTS.map((v) => {
          const rs = plain.get(v.key) ?? [];
          return [v.key, { command: v.command('F', 'OUT'), mbps: mmm(rs.map((r) => r.mbps)), samples: rs.map((r) => ({ wall_s: r.wallS, mbps: r.mbps })) }];
        }),
      ),
      emperor: { mbps: mmm(emperor.map((r) => r.mbps)), cpu_s: mmm(emperor.map((r) => r.cpuS)), exact: allExact, runs: runs(emperor) },
      emperor_zero_bytes_cpu_s: { ...mmm(fixed), samples: fixed },
      supervisord:
        supervisord.length === 0 ? null : { mbps: mmm(supervisord.map((r) => r.mbps)), cpu_s: mmm(supervisord.map((r) => r.cpuS)), runs: runs(supervisord) },
      unaligned_max_bytes: UNALIGNED_MAX,
      emperor_unaligned: runs([eOdd]),
      supervisord_unaligned: sOdd === null ? null : runs([sOdd]),
      anchors: ANCHORS,
      target: TARGET,
      verdict: { mbps_ok: eMbps >= TARGET.mbps, cpu_ok: eCpu <= TARGET.cpu, exact: allExact, ahead_of_anchors: aheadOfAnchors, ahead_of_supervisord: aheadOfSupervisord },
      flood: { ...flood, unit: 'ms' },
      problems,
    }),
  );
}

await main().catch(async (err: unknown) => {
  console.log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await cleanupAll();
  process.exitCode = 1;
});
