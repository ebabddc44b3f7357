// Log throughput: a child `cat`ing 200 MB of 100-byte lines straight to a file, through the emperor
// (exact rotation, 50M x 4 files) and through supervisord; the child's wall time, the supervisor's CPU
// seconds, whether every line arrived whole; then the stats socket's latency while a vassal floods.
import { spawn, spawnSync } from 'node:child_process';
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

const CLK_TCK = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** utime + stime of a process (all its threads), in seconds; NaN when it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
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
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
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
    const cut = files.slice(0, -1).filter((f) => !f.endsWithNewline).length;
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
  const sizes = c.files.map((f) => `${f.name} ${f.size}${f.endsWithNewline ? '' : ' (ends mid-line)'}`).join(', ');
  return `${c.files.length} files [${sizes}]; ${c.identical ? 'identical to the test file' : `NOT identical (${c.bytes} of ${TOTAL_BYTES} bytes)`}; lines whole ${c.whole}, cut across files ${c.cut}, lost ${c.lost}${c.bad > 0 ? `, not test lines ${c.bad}` : ''}`;
}

// --- plain file ------------------------------------------------------------------------------------

interface PlainRun {
  wallS: number;
  mbps: number;
  bytes: number;
}

async function plainRun(src: string, dir: string): Promise<PlainRun> {
  mkdirSync(dir);
  const out = join(dir, 'OUT');
  const t0 = nowMs();
  const child = spawn('sh', ['-c', `cat '${src}' > '${out}'`], { stdio: 'ignore' });
  const stop = onCleanup(async () => {
    if (child.pid !== undefined && child.exitCode === null) signal(child.pid, 'SIGKILL');
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const wallS = (nowMs() - t0) / 1000;
  await stop();
  if (code !== 0) throw new Error(`sh -c 'cat > OUT' exited with ${code}`);
  const bytes = statSync(out).size;
  rmSync(dir, { recursive: true, force: true });
  return { wallS, mbps: TOTAL_MB / wallS, bytes };
}

// --- through the emperor -----------------------------------------------------------------------------

interface SupervisedRun {
  wallS: number;
  mbps: number;
  cpuS: number;
  /** from the child's exit to the last byte in the log files (ms); polled every 5 ms. */
  drainMs: number;
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

/** Waits until the log files hold TOTAL_BYTES (or stop growing for 2 s); returns when, in Date.now() ms. */
async function logComplete(dir: string, base: string): Promise<number> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const size = totalSize(dir, base);
    const now = Date.now();
    if (size === TOTAL_BYTES) return now;
    if (size !== last) {
      last = size;
      lastChange = now;
    } else if (now - lastChange > 2000) return lastChange;
    await sleep(5);
  }
}

async function emperorRun(src: string, srcSha1: string, dir: string): Promise<SupervisedRun> {
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
    dropVassal(staging, vassals, 'tp.ini', `[vassal]\ncommand = cat ${src}\nlog = ${join(logs, 'OUT')}\nrestart = never\nstart-secs = 0\n`);
    const running = await eventTime(emp, /^\S+ tp\[0\]: RUNNING /, 'tp RUNNING', 20000);
    const exited = await eventTime(emp, /^\S+ tp\[0\]: (EXITED|FATAL|BACKOFF) /, 'tp EXITED', 120000);
    const complete = await logComplete(logs, 'OUT');
    const cpuS = cpuSeconds(emp.pid) - cpu0;
    if (!/ EXITED pid=\d+ code=0 /.test(exited.line)) problems.push(`emperor: ${exited.line}`);
    const wallS = (exited.at - running.at) / 1000;
    const stop = await emp.stop();
    problems.push(...emp.problems().map((l) => `emperor said: ${l}`));
    if (stop.exitCode !== 0) problems.push(`emperor exit: code ${stop.exitCode} signal ${stop.exitSignal}`);
    problems.push(...stop.leftovers.map((l) => `left behind by the emperor (killed): ${l}`));
    const check = checkLog(logs, 'OUT', srcSha1);
    return { wallS, mbps: TOTAL_MB / wallS, cpuS, drainMs: complete - exited.at, check, problems };
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

/** Makes sure `supervisord` is on PATH (Debian's `supervisor` package); null when it is, else what happened. */
function ensureSupervisord(): { ok: boolean; note: string | null } {
  const has = (): boolean => spawnSync('sh', ['-c', 'command -v supervisord && command -v supervisorctl'], { stdio: 'ignore' }).status === 0;
  if (has()) return { ok: true, note: null };
  if (process.getuid?.() !== 0) return { ok: false, note: 'supervisord is not installed and this is not root: supervisord runs skipped' };
  const before = new Set(supervisordPids());
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): number | null =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'supervisor'], { stdio: ['ignore', 'ignore', 'pipe'], env, timeout: 300_000 }).status;
  let note = 'installed Debian\'s supervisor package (apt-get install -y --no-install-recommends supervisor)';
  if (install() !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 300_000 });
    note += ' after apt-get update';
    if (install() !== 0) return { ok: false, note: 'apt-get install supervisor failed: supervisord runs skipped' };
  }
  // The package may start its own daemon (where services are allowed to start): stop that one, by pid.
  const started = supervisordPids().filter((p) => !before.has(p));
  for (const p of started) signal(p, 'SIGTERM');
  if (started.length > 0) note += `; the package started supervisord ${started.join(', ')}, stopped with SIGTERM`;
  return { ok: has(), note };
}

/** Parses supervisord's `YYYY-MM-DD HH:MM:SS,mmm` (local time) into ms. */
function supervisordTime(line: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3})/.exec(line);
  if (m === null) return NaN;
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(n[0], n[1] - 1, n[2], n[3], n[4], n[5], n[6]).getTime();
}

async function supervisordRun(src: string, srcSha1: string, dir: string): Promise<SupervisedRun> {
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
      'stdout_logfile_maxbytes=50MB',
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
    const cpu0 = cpuSeconds(supPid);
    const started = await run(['supervisorctl', '-c', conf, 'start', 'tp']);
    if (!/started/.test(started.out)) problems.push(`supervisorctl start tp: ${started.out.trim()}`);
    const spawned = await supEvent(/ spawned: 'tp' with pid \d+/, 'tp spawned', 20000);
    programPids.add(Number(/with pid (\d+)/.exec(spawned.line)?.[1]));
    const exited = await supEvent(/ exited: tp \(/, 'tp exited', 120000);
    await logComplete(logs, 'OUT');
    const complete = Date.now();
    const cpuS = cpuSeconds(supPid) - cpu0;
    if (!/exit status 0; expected/.test(exited.line)) problems.push(`supervisord: ${exited.line}`);
    const wallS = (exited.at - spawned.at) / 1000;
    await stop();
    const check = checkLog(logs, 'OUT', srcSha1);
    return { wallS, mbps: TOTAL_MB / wallS, cpuS, drainMs: complete - exited.at, check, problems };
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
  console.log(
    `test file: ${LINES} lines x ${LINE_BYTES} B = ${TOTAL_BYTES} B (${TOTAL_MB} MiB) written in ${fmt(genMs / 1000)} s (sha1 ${srcSha1.slice(0, 12)}, ${fmt((nowMs() - t) / 1000)} s)`,
  );
  console.log(`MB/s below = ${TOTAL_MB} MiB / the child's wall time; CPU = utime+stime of the supervisor process (all threads, ${CLK_TCK} Hz ticks)`);
  console.log('wall: plain = spawn -> exit of sh -c "cat F > OUT"; emperor = RUNNING -> EXITED event lines; supervisord = "spawned" -> "exited" lines of its log');

  const plain: PlainRun[] = [];
  const emperor: SupervisedRun[] = [];
  const supervisord: SupervisedRun[] = [];
  const problems: string[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    const p = await plainRun(src, join(root, `plain-${rep}`));
    plain.push(p);
    console.log(`rep ${rep} plain file : wall ${fmt(p.wallS, 3)} s = ${fmt(p.mbps, 1)} MB/s${p.bytes === TOTAL_BYTES ? '' : ` (OUT has ${p.bytes} bytes!)`}`);
    const e = await emperorRun(src, srcSha1, join(root, `emperor-${rep}`));
    emperor.push(e);
    const eExact = e.check.identical && e.check.files.every((f) => f.endsWithNewline) && e.check.maxFileBytes <= MAX_LOG_BYTES;
    console.log(
      `rep ${rep} emperor    : wall ${fmt(e.wallS, 3)} s = ${fmt(e.mbps, 1)} MB/s, CPU ${fmt(e.cpuS)} s, log complete ${fmt(e.drainMs, 0)} ms after exit; ${describeCheck(e.check)}; ${eExact ? 'EXACT' : 'NOT EXACT'}`,
    );
    problems.push(...e.problems.map((x) => `rep ${rep} emperor: ${x}`));
    if (sup.ok) {
      const s = await supervisordRun(src, srcSha1, join(root, `supervisord-${rep}`));
      supervisord.push(s);
      console.log(
        `rep ${rep} supervisord: wall ${fmt(s.wallS, 3)} s = ${fmt(s.mbps, 1)} MB/s, CPU ${fmt(s.cpuS)} s, log complete ${fmt(s.drainMs, 0)} ms after exit; ${describeCheck(s.check)}; largest file ${s.check.maxFileBytes} B`,
      );
      problems.push(...s.problems.map((x) => `rep ${rep} supervisord: ${x}`));
    }
  }

  const row = (name: string, mbps: readonly number[], cpu: readonly number[] | null): string => {
    const m = mmm(mbps);
    const c = cpu === null ? null : mmm(cpu);
    return `${name.padEnd(32)} ${fmt(m.median, 1).padStart(7)} MB/s (min ${fmt(m.min, 1)}, max ${fmt(m.max, 1)})   ${c === null ? '' : `CPU ${fmt(c.median)} s (min ${fmt(c.min)}, max ${fmt(c.max)})`}`;
  };
  console.log('');
  console.log(`median of ${REPS} (this machine):`);
  console.log(row('plain file', plain.map((r) => r.mbps), null));
  console.log(row('emperor (exact rotation)', emperor.map((r) => r.mbps), emperor.map((r) => r.cpuS)));
  if (supervisord.length > 0) console.log(row(`supervisord ${supVersion ?? ''}`, supervisord.map((r) => r.mbps), supervisord.map((r) => r.cpuS)));
  console.log('for scale, the issue\'s machine:');
  for (const a of ANCHORS) console.log(`${a.name.padEnd(32)} ${fmt(a.mbps, 1).padStart(7)} MB/s${a.cpu === null ? '' : `${' '.repeat(26)}CPU ${fmt(a.cpu)} s`}`);

  const eMbps = mmm(emperor.map((r) => r.mbps)).median;
  const eCpu = mmm(emperor.map((r) => r.cpuS)).median;
  const sMbps = supervisord.length > 0 ? mmm(supervisord.map((r) => r.mbps)).median : NaN;
  const sCpu = supervisord.length > 0 ? mmm(supervisord.map((r) => r.cpuS)).median : NaN;
  const allExact = emperor.every((r) => r.check.identical && r.check.files.every((f) => f.endsWithNewline) && r.check.maxFileBytes <= MAX_LOG_BYTES);
  const rotating = ANCHORS.filter((a) => a.rotating);
  const aheadOfAnchors = rotating.every((a) => eMbps > a.mbps && (a.cpu === null || eCpu < a.cpu));
  const aheadOfSupervisord = supervisord.length > 0 ? eMbps > sMbps && eCpu < sCpu : null;
  const plainMedian = mmm(plain.map((r) => r.mbps)).median;
  console.log('');
  console.log(
    `verdict (informational): emperor ${fmt(eMbps, 1)} MB/s ${eMbps >= TARGET.mbps ? '>=' : '<'} ${TARGET.mbps} target; CPU ${fmt(eCpu)} s ${eCpu <= TARGET.cpu ? '<=' : '>'} ${TARGET.cpu} s target; ` +
      `${allExact ? 'exact in every run' : 'NOT exact in every run'}; ${aheadOfAnchors ? 'ahead of' : 'NOT ahead of'} every rotating anchor of the issue on both; ` +
      `${aheadOfSupervisord === null ? 'supervisord not measured' : `${aheadOfSupervisord ? 'ahead of' : 'NOT ahead of'} supervisord measured here on both`}; ` +
      `emperor = ${fmt((eMbps / plainMedian) * 100, 0)}% of the plain-file speed here`,
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
      drain_ms: r.drainMs,
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
      plain: { mbps: mmm(plain.map((r) => r.mbps)), samples: plain.map((r) => ({ wall_s: r.wallS, mbps: r.mbps })) },
      emperor: { mbps: mmm(emperor.map((r) => r.mbps)), cpu_s: mmm(emperor.map((r) => r.cpuS)), exact: allExact, runs: runs(emperor) },
      supervisord:
        supervisord.length === 0 ? null : { mbps: mmm(supervisord.map((r) => r.mbps)), cpu_s: mmm(supervisord.map((r) => r.cpuS)), runs: runs(supervisord) },
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
