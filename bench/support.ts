// Shared helpers for the bench scripts: run an emperor, read its stats socket and /proc, clean up by pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StatsDocument } from '../src/control/protocol.ts';
import { isAlive, listPids, readArgv, readStat, treeOf } from './lib/proc.ts';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..');
/** The emperor's entry point as users run it (loads dist/, built by `npm run build`). */
export const EMPEROR_BIN = join(ROOT, 'bin/emperor.js');
/** The emperor's source entry point, for running it through tsx. */
export const EMPEROR_SRC = join(ROOT, 'src/cli/emperor.ts');

/** How to start one emperor: node's own flags, then the script. */
export interface EmperorFlavour {
  label: string;
  nodeArgs: string[];
}

/** `node bin/emperor.js`: the compiled build, as installed. */
export const COMPILED: EmperorFlavour = { label: 'compiled (node bin/emperor.js)', nodeArgs: [EMPEROR_BIN] };
/** `node --import tsx src/cli/emperor.ts`: compiled on the fly at every start. */
export const FROM_SOURCE: EmperorFlavour = { label: 'tsx (node --import tsx src/cli/emperor.ts)', nodeArgs: ['--import', 'tsx', EMPEROR_SRC] };

/** Monotonic time in milliseconds (process.hrtime). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Summary of a list of samples, in the samples' unit. */
export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The value at quantile q (0..1) of sorted samples, by linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

/** Median, p90, min and max of the samples. */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: round3(quantile(s, 0.5)),
    p90: round3(quantile(s, 0.9)),
    min: round3(s[0] ?? NaN),
    max: round3(s[s.length - 1] ?? NaN),
  };
}

/** One human-readable line for a summary. */
export function formatSummary(label: string, s: Summary, unit = 'ms'): string {
  const f = (x: number): string => x.toFixed(unit === 'ms' ? 2 : 1);
  return `${label}: median ${f(s.median)} ${unit}, p90 ${f(s.p90)} ${unit}, min ${f(s.min)} ${unit}, max ${f(s.max)} ${unit} (n=${s.n})`;
}

// --- /proc ---------------------------------------------------------------------------------------

/** State, parent and process group of a process, from /proc/PID/stat; null when it is gone. */
export function procStat(pid: number): { state: string; ppid: number; pgrp: number } | null {
  return readStat(pid);
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  return isAlive(pid);
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  return listPids().filter((pid) => {
    const st = readStat(pid);
    return st !== null && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X';
  });
}

/** Direct children of a process. */
export function childrenOf(ppid: number): number[] {
  return listPids().filter((pid) => readStat(pid)?.ppid === ppid);
}

/** Every descendant of a process (children, their children, ...). */
export function descendantsOf(root: number): number[] {
  return treeOf([root]).map((s) => s.pid).filter((p) => p !== root);
}

/** The command line of a process, arguments joined by spaces; '' when gone. */
export function cmdline(pid: number): string {
  return (readArgv(pid) ?? []).filter(Boolean).join(' ');
}

/** A `Vm*` field of /proc/PID/status in kB (VmRSS, VmHWM, ...); null when unreadable. */
export function statusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pidOrNegPgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pidOrNegPgid, sig);
  } catch {
    // gone
  }
}

/** A command line on one line, cut to 60 characters. */
export function short(cmd: string): string {
  const one = cmd.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

// --- temp dirs and cleanup -----------------------------------------------------------------------

const cleanups: Array<() => Promise<void>> = [];

/** Registers a cleanup to run at the end or on Ctrl-C; returns a function that runs it once and unregisters it. */
export function onCleanup(fn: () => Promise<void>): () => Promise<void> {
  let done = false;
  const once = async (): Promise<void> => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(once);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
  cleanups.push(once);
  return once;
}

/** Runs every registered cleanup, newest first. */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups[cleanups.length - 1];
    if (fn === undefined) break;
    await fn();
  }
}

/** On SIGINT or SIGTERM, cleans up what the bench started and exits 130. */
export function cleanupOnInterrupt(): void {
  const handler = (sig: NodeJS.Signals): void => {
    process.stderr.write(`\n${sig}: cleaning up\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** A fresh temp dir under os.tmpdir(), removed at cleanup. */
export function tempRoot(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Warns when dist/ is missing or older than some file of src/ (the compiled flavour would run stale code). */
export function distWarning(): string | null {
  const entry = join(ROOT, 'dist/cli/emperor.js');
  if (!existsSync(entry)) return 'dist/ is missing: bin/emperor.js falls back to tsx; run `npm run build` first';
  const built = statSync(entry).mtimeMs;
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && statSync(p).mtimeMs > built) stale.push(p.slice(ROOT.length + 1));
    }
  };
  walk(join(ROOT, 'src'));
  return stale.length === 0 ? null : `dist/ is older than ${stale.length} file(s) of src/ (e.g. ${stale[0]}); run \`npm run build\` for current numbers`;
}

// --- the stats socket ----------------------------------------------------------------------------

/** Connects to the stats socket, reads to EOF and parses the document. */
export function readStats(path: string, timeoutMs = 5000): Promise<StatsDocument> {
  return new Promise((resolveDoc, reject) => {
    const sock = createConnection({ path });
    const chunks: Buffer[] = [];
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`stats socket ${path}: no answer in ${timeoutMs} ms`)));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      try {
        resolveDoc(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatsDocument);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** Polls `check` every `everyMs` until it returns a non-null value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | null> | T | null, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = nowMs() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== null) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (nowMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await sleep(everyMs);
  }
}

// --- an emperor under measurement ----------------------------------------------------------------

/** What stopping an emperor found. */
export interface StopReport {
  exitCode: number | null;
  exitSignal: string | null;
  stopMs: number;
  /** process groups or pids still alive the instant the emperor exited (most end on their own). */
  aliveAtExit: string[];
  /** those still alive 1 s after the emperor exited: left behind, then SIGKILLed by the bench. */
  leftovers: string[];
}

/** One emperor process started by a bench, stopped by pid. */
export class EmperorProcess {
  readonly child: ChildProcess;
  readonly spawnedAt: number;
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: string | null = null;
  private readonly exited: Promise<void>;
  /** process groups seen under this emperor (vassals and guardian), checked at stop. */
  readonly pgids = new Set<number>();
  /** descendants that share the emperor's own group, checked one by one at stop. */
  readonly pids = new Set<number>();
  private readonly stopOnce: () => Promise<void>;
  private lastStop: StopReport | null = null;

  constructor(flavour: EmperorFlavour, args: string[]) {
    this.spawnedAt = nowMs();
    this.child = spawn(process.execPath, [...flavour.nodeArgs, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EMPEROR_STATE_DIR: undefined },
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) =>
      this.child.once('exit', (code, sig) => {
        this.exitCode = code;
        this.exitSignal = sig;
        r();
      }),
    );
    this.stopOnce = onCleanup(async () => {
      this.lastStop = await this.doStop();
    });
  }

  /** The emperor's pid. */
  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('emperor did not start');
    return pid;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.exitCode !== null || this.exitSignal !== null;
  }

  /** Resolves when it exits, or after `timeoutMs`; true when it exited. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (this.hasExited) return true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    return this.hasExited;
  }

  /** Remembers the process groups of every current descendant (vassals, guardian). */
  rememberDescendants(): void {
    if (this.hasExited) return;
    const ownGroup = procStat(this.pid)?.pgrp;
    for (const pid of descendantsOf(this.pid)) {
      const st = procStat(pid);
      if (st === null) continue;
      if (st.pgrp !== ownGroup) this.pgids.add(st.pgrp);
      else this.pids.add(pid);
    }
  }

  /** SIGTERM, wait (then SIGKILL if it hangs), then SIGKILL any process group left behind. */
  async stop(): Promise<StopReport> {
    await this.stopOnce();
    if (this.lastStop === null) throw new Error('stop did not run');
    return this.lastStop;
  }

  private async doStop(timeoutMs = 30000): Promise<StopReport> {
    const t0 = nowMs();
    this.rememberDescendants();
    if (!this.hasExited) {
      signal(this.pid, 'SIGTERM');
      if (!(await this.waitExit(timeoutMs))) {
        process.stderr.write(`emperor pid ${this.pid} did not exit ${timeoutMs} ms after SIGTERM; sending SIGKILL\n`);
        signal(this.pid, 'SIGKILL');
        await this.waitExit(5000);
      }
    }
    const stopMs = nowMs() - t0;
    const own = process.pid;
    const ownGroup = procStat(own)?.pgrp;
    const groups = [...this.pgids].filter((g) => g > 1 && g !== ownGroup && g !== own);
    const pids = [...this.pids].filter((p) => p > 1 && p !== own);
    const survivors = (): string[] => [
      ...groups.flatMap((g) => {
        const members = groupMembers(g);
        return members.length === 0 ? [] : [`group ${g}: ${members.map((p) => `${p} (${short(cmdline(p))})`).join(', ')}`];
      }),
      ...pids.filter(alive).map((p) => `pid ${p} (${short(cmdline(p))})`),
    ];
    // Something may still be exiting at the instant the emperor exits (the guardian reading its EOF):
    // that is noted; what is still alive a second later is left behind, and SIGKILLed by group and pid.
    const aliveAtExit = survivors();
    const deadline = nowMs() + 1000;
    while (survivors().length > 0 && nowMs() < deadline) await sleep(25);
    const leftovers = survivors();
    for (const g of groups) {
      if (groupMembers(g).length === 0) continue;
      signal(-g, 'SIGKILL');
      for (const p of groupMembers(g)) signal(p, 'SIGKILL');
    }
    for (const p of pids.filter(alive)) signal(p, 'SIGKILL');
    return { exitCode: this.exitCode, exitSignal: this.exitSignal, stopMs, aliveAtExit, leftovers };
  }

  /** Event lines at WARN or ERROR level, and anything on stderr. */
  problems(): string[] {
    const lines = this.stdout.split('\n').filter((l) => / (WARN|ERROR) /.test(l));
    return [...lines, ...this.stderr.split('\n').filter(Boolean).map((l) => `stderr: ${l}`)];
  }
}

// --- announcements through a named pipe -----------------------------------------------------------

/** One line a child wrote to the pipe: `NAME PID`, stamped when the bench read it. */
export interface Announcement {
  name: string;
  pid: number;
  at: number;
}

/**
 * A FIFO that started children append `NAME PID` to. Held open read-write so writers never block
 * and it never reaches EOF; read on the event loop (epoll), each line stamped with nowMs().
 */
export class AnnouncePipe {
  readonly path: string;
  private readonly socket: Socket;
  private buffer = '';
  private readonly seen: Announcement[] = [];
  private waiter: { match: (a: Announcement) => boolean; resolve: (a: Announcement) => void } | null = null;

  constructor(dir: string) {
    this.path = join(dir, 'announce.fifo');
    const r = spawnSync('mkfifo', ['-m', '600', this.path], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mkfifo ${this.path} failed: ${r.stderr || r.error?.message || `status ${r.status}`}`);
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    this.socket.on('error', () => {});
    onCleanup(async () => {
      this.socket.destroy();
      try {
        closeSync(fd);
      } catch {
        // closed with the socket
      }
    });
  }

  /** A shell command line that announces NAME and its own pid, then becomes `sleep 100000`. */
  command(name: string): string {
    return `sh -c 'echo ${name} $$ >> ${this.path} && exec sleep 100000'`;
  }

  /** The same as argv, for spawning directly. */
  argv(name: string): string[] {
    return ['sh', '-c', `echo ${name} $$ >> ${this.path} && exec sleep 100000`];
  }

  /** Every announcement so far. */
  get all(): readonly Announcement[] {
    return this.seen;
  }

  /** The first announcement after index `from` matching `match`, or a rejection after `timeoutMs`. */
  next(from: number, match: (a: Announcement) => boolean, timeoutMs: number): Promise<Announcement> {
    const found = this.seen.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolveA, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no announcement within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        match,
        resolve: (a) => {
          clearTimeout(timer);
          this.waiter = null;
          resolveA(a);
        },
      };
    });
  }

  private onData(text: string): void {
    const at = nowMs();
    this.buffer += text;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      const m = /^(\S+) (\d+)$/.exec(line);
      if (m === null) continue;
      const a: Announcement = { name: m[1] ?? '', pid: Number(m[2]), at };
      this.seen.push(a);
      if (this.waiter?.match(a)) this.waiter.resolve(a);
    }
  }
}
