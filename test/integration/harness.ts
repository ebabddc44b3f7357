// Drives a real emperor on temp dirs: start it, drop files, read its stats socket, wait for conditions.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, renameSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StatsDocument, VassalStats } from '../../src/control/protocol.ts';
import { removeSubtreeIfEmpty } from '../../src/io/cgroup-setup.ts';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');
/** The emperor's entry point, as users run it. */
export const EMPEROR_BIN = join(ROOT, 'bin/emperor.js');
/** Tiny programs for tests. */
export const FIXTURES = join(ROOT, 'test/fixtures');

/** Waits for `check` to return a truthy value, polling; throws with `what` after the deadline. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of live (non-zombie) processes in a process group. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSafe('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null when gone. */
export function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A running emperor under test. */
export class EmperorUnderTest {
  readonly root: string;
  readonly vassals: string;
  readonly stateDir: string;
  readonly statsPath: string;
  child: ChildProcess | null = null;
  output = '';
  private readonly seenPgids = new Set<number>();
  /** start time (clock ticks) of each seen group's leader when last seen, to tell a reused pid. */
  private readonly leaderTicks = new Map<number, number>();
  exitCode: number | null = null;
  exitSignal: string | null = null;
  /** Extra environment for the emperor (set before start). */
  readonly env: Record<string, string | undefined> = {};
  private exited: Promise<void> | null = null;

  /** With `after`, runs on that emperor's directories (the next emperor after it). */
  constructor(
    private readonly extraArgs: string[] = [],
    after?: EmperorUnderTest,
  ) {
    this.root = after?.root ?? mkdtempSync(join(tmpdir(), 'emperor-test-'));
    this.vassals = join(this.root, 'vassals');
    this.stateDir = join(this.root, 'state');
    this.statsPath = join(this.stateDir, 'stats.sock');
    if (after === undefined) mkdirSync(this.vassals);
  }

  /** Starts the emperor and waits until its stats socket answers. */
  async start(): Promise<this> {
    // Tests run side by side: no shared metrics port unless a test asks for one.
    const metrics = this.extraArgs.some((a) => a.startsWith('--metrics')) ? [] : ['--metrics', 'off'];
    const child = spawn(process.execPath, [EMPEROR_BIN, '--vassals', this.vassals, '--state-dir', this.stateDir, ...metrics, ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EMPEROR_STATE_DIR: undefined, ...this.env },
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((r) =>
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        r();
      }),
    );
    await waitFor(`emperor to serve stats (output: ${this.output})`, async () => (await this.stats().catch(() => null)) !== null, 10000);
    return this;
  }

  /** The emperor's pid. */
  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('emperor not started');
    return pid;
  }

  /** Writes a vassal file atomically (temp file, then rename), as deploy tools do. */
  write(fileName: string, text: string, owner?: { uid: number; gid: number; mode?: number }): string {
    const path = join(this.vassals, fileName);
    const temp = join(this.vassals, `.${fileName}.tmp-${process.pid}`);
    writeFileSync(temp, text);
    // Owner and mode are set before the rename: the emperor never sees the file any other way.
    if (owner !== undefined) {
      chownSync(temp, owner.uid, owner.gid);
      if (owner.mode !== undefined) chmodSync(temp, owner.mode);
    }
    renameSync(temp, path);
    return path;
  }

  /** Removes a vassal file. */
  remove(fileName: string): void {
    rmSync(join(this.vassals, fileName), { force: true });
  }

  /** Reads the stats socket once. */
  stats(): Promise<StatsDocument> {
    return new Promise((resolveDoc, reject) => {
      const sock = createConnection({ path: this.statsPath });
      let text = '';
      sock.setTimeout(2000, () => sock.destroy(new Error('stats timeout')));
      sock.on('data', (d) => (text += d.toString()));
      sock.on('error', reject);
      sock.on('end', () => {
        try {
          const doc = JSON.parse(text) as StatsDocument;
          for (const v of doc.vassals) for (const p of v.pids) this.remember(p);
          resolveDoc(doc);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  /** One vassal's stats, or undefined. */
  async vassal(name: string): Promise<VassalStats | undefined> {
    return (await this.stats()).vassals.find((v) => v.name === name);
  }

  /** Waits until the vassal satisfies `pred`, returning its stats. */
  waitVassal(name: string, what: string, pred: (v: VassalStats) => boolean, timeoutMs = 10000): Promise<VassalStats> {
    return waitFor(`${name} ${what}`, async () => {
      const v = await this.vassal(name);
      return v !== undefined && pred(v) ? v : null;
    }, timeoutMs);
  }

  /** Waits until the vassal is in `state`. */
  waitState(name: string, state: string, timeoutMs = 10000): Promise<VassalStats> {
    return this.waitVassal(name, `to be ${state}`, (v) => v.state === state, timeoutMs);
  }

  /** Waits for the emperor to exit. */
  async waitExit(timeoutMs = 20000): Promise<void> {
    await waitFor('emperor to exit', () => this.exitCode !== null || this.exitSignal !== null, timeoutMs);
  }

  /** Stops the emperor (SIGTERM), kills anything it left behind by pid, and removes the temp dirs. */
  async cleanup(): Promise<string[]> {
    if (this.child !== null && this.exitCode === null && this.exitSignal === null) {
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 15000)))]);
      clearTimeout(timer);
      if (this.exitCode === null && this.exitSignal === null) this.child.kill('SIGKILL');
    }
    const leftovers: string[] = [];
    for (const pgid of this.seenPgids) {
      if (this.reused(pgid)) continue;
      const members = groupMembers(pgid);
      if (members.length > 0) {
        leftovers.push(`group ${pgid}: ${members.join(',')}`);
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    // The emperor's cgroup subtree (containment), once its daemons are gone too and its cgroup guardian
    // has moved out (it tidies after the emperor is gone, polling every 50 ms).
    await waitFor('the emperor\'s cgroup subtree to be empty and removed', () => removeSubtreeIfEmpty(this.stateDir), 5000).catch(() => {});
    rmSync(this.root, { recursive: true, force: true });
    return leftovers;
  }

  /** Remembers a pid (as its own group) so cleanup ends it if the emperor did not. */
  track(pgid: number): void {
    this.remember(pgid);
  }

  private remember(pgid: number): void {
    this.seenPgids.add(pgid);
    // The latest sighting counts: the emperor itself may have been handed a reused pid.
    const ticks = startTicks(pgid);
    if (ticks !== null) this.leaderTicks.set(pgid, ticks);
  }

  // Tests run side by side: a group id whose leader is now a different process (started at another
  // time) was freed and reused by someone else, and is none of this emperor's business.
  private reused(pgid: number): boolean {
    const then = this.leaderTicks.get(pgid);
    const now = startTicks(pgid);
    return then !== undefined && now !== null && now !== then;
  }

  /** Forgets pids the test ends itself (daemons outlive the emperor by design): cleanup no longer reports them. */
  forget(pgids: Iterable<number>): void {
    for (const p of pgids) this.seenPgids.delete(p);
  }

  /** Every pid the stats have shown (or `track` recorded) so far. */
  get seenPids(): number[] {
    return [...this.seenPgids];
  }

  /** Sends `signal` to the emperor and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20000): Promise<void> {
    if (this.child === null || this.exitCode !== null || this.exitSignal !== null) return;
    this.child.kill(signal);
    await this.waitExit(timeoutMs);
  }

  /** Starts a new emperor on the same vassal and state directories, once the previous one has exited. */
  async relaunch(): Promise<this> {
    if (this.child !== null && this.exitCode === null && this.exitSignal === null) throw new Error('the previous emperor is still running');
    this.exitCode = null;
    this.exitSignal = null;
    this.output += '\n--- relaunched ---\n';
    return this.start();
  }
}

/** Runs `fn` on a fresh emperor (with `args`); prints its output if `fn` fails; checks nothing is left behind. */
export async function withEmperor(args: string[], fn: (e: EmperorUnderTest) => Promise<void>): Promise<void> {
  const e = new EmperorUnderTest(args);
  try {
    await e.start();
    await fn(e);
  } catch (err) {
    const out = e.output.length > 24000 ? `${e.output.slice(0, 10000)}\n[...]\n${e.output.slice(-12000)}` : e.output;
    process.stderr.write(`--- emperor output ---\n${out}\n---\n`);
    throw err;
  } finally {
    assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
  }
}

/** A free loopback port: bind port 0, read it, close. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** One plain HTTP/1.0 GET / on 127.0.0.1:port over a fresh connection; resolves with the body. */
export function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(port, '127.0.0.1', () => sock.write('GET / HTTP/1.0\r\n\r\n'));
    let text = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
    sock.on('data', (d) => (text += d.toString()));
    sock.on('error', reject);
    sock.on('end', () => resolve(text.slice(text.indexOf('\r\n\r\n') + 4)));
  });
}

/** A native vassal file with the given keys. */
export function vassalFile(keys: Record<string, string | number | string[]>): string {
  const lines = ['[vassal]'];
  for (const [k, v] of Object.entries(keys)) {
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k} = ${one}`);
  }
  return lines.join('\n') + '\n';
}

/** emperorctl's entry point, as users run it (package.json's "bin"). */
export const EMPERORCTL_BIN = join(ROOT, 'bin/emperorctl.cjs');

/** What one emperorctl run printed, and how it ended. */
export interface CtlResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking the test's event loop; killed after `timeoutMs`. */
export function runProgram(argv: string[], timeoutMs = 30000, env: Record<string, string | undefined> = {}): Promise<CtlResult> {
  return new Promise((resolveRun) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}

/**
 * Runs `emperorctl ARGS` with EMPEROR_STATE_DIR set to `stateDir` (pass an emperor's stateDir),
 * without blocking the test's event loop; killed after `timeoutMs`.
 */
export function ctl(stateDir: string, args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30000): Promise<CtlResult> {
  return runProgram([process.execPath, EMPERORCTL_BIN, ...args], timeoutMs, { NO_COLOR: undefined, EMPEROR_STATE_DIR: stateDir, ...env });
}
