// Helpers for smart-attached daemon tests: daemons outlive the emperor by design, so every test ends
// the daemons it saw itself, and never a process it did not start (pid 1, the test runner, the machine's).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { EmperorUnderTest, alive, groupMembers, startTicks, waitFor } from './harness.ts';


/** The pid a pidfile names, or null (missing, empty, garbage). */
export function pidIn(file: string): number | null {
  try {
    const text = readFileSync(file, 'latin1').trim();
    return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : null;
  } catch {
    return null;
  }
}

/** The non-empty lines of a file ([] when missing). */
export function linesIn(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** A process's real uid, or null when gone. */
export function uidOf(pid: number): number | null {
  try {
    return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1]);
  } catch {
    return null;
  }
}

/** When a process started, in Unix ms (10 ms precision), or null when gone. */
export function startedAtMs(pid: number): number | null {
  const ticks = startTicks(pid);
  if (ticks === null) return null;
  const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  return Date.now() - uptime * 1000 + ticks * 10;
}

/** The record the emperor keeps of a vassal's daemon in `<state-dir>/daemons`, or null. */
export function recordOf(e: EmperorUnderTest, name: string): Record<string, unknown> | null {
  const dir = join(e.stateDir, 'daemons');
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return null;
  }
  const file = files.find((f) => f.replace(/\.[^.]*$/, '') === name);
  if (file === undefined) return null;
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
}

/** Asserts that the record of `name` names `pid` with that process's start time. */
export function assertRecorded(e: EmperorUnderTest, name: string, pid: number): void {
  const rec = recordOf(e, name);
  assert.ok(rec !== null, `a record of ${name}'s daemon in ${e.stateDir}/daemons`);
  assert.equal(rec.pid, pid, `the record of ${name} names its daemon`);
  const ticks = startTicks(pid);
  assert.ok(Object.values(rec).includes(ticks), `the record of ${name} holds the daemon's start time (${ticks} ticks): ${JSON.stringify(rec)}`);
}

/** Writes an executable script. */
export function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the process is gone (zombies count as gone) and nothing of its group is left. */
export async function waitGone(pid: number, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(`${what} (pid ${pid}) to be gone`, () => !alive(pid) && groupMembers(pid).length === 0, timeoutMs);
}

/** Whether this test runs as root (then another user's process can be started with setpriv). */
export const isRoot = process.getuid?.() === 0;

/** Starts `sleep 100000` as uid/gid 65534 (nobody): someone else's long-running process. */
export function sleepAsNobody(): ChildProcess {
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sleep', '100000'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

/** Starts an unrelated `sleep 100000` of the test's own user. */
export function unrelatedSleep(): ChildProcess {
  const child = spawn('sleep', ['100000'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

/**
 * Starts `sleep 100000` under the given (free) pid by setting the namespace's last pid first, as root;
 * a few tries, since another fork may come in between. The counter is put back at once, so pids freed
 * since are not handed out again to other tests' processes. Returns the process (whatever pid it got)
 * and whether the pid counter could be set at all (root, with /proc/sys/kernel/ns_last_pid writable).
 */
export function sleepWithPid(pid: number): { child: ChildProcess; pidControl: boolean } {
  const LAST = '/proc/sys/kernel/ns_last_pid';
  let saved: number | null = null;
  try {
    saved = Number(readFileSync(LAST, 'latin1'));
  } catch {
    // no such file: any pid will do
  }
  let pidControl = false;
  const rewind = (): void => {
    try {
      writeFileSync(LAST, String(pid - 1));
      pidControl = true;
    } catch {
      // not allowed (not root): any pid will do
    }
  };
  rewind();
  let child = unrelatedSleep();
  for (let tries = 0; tries < 20 && child.pid !== pid; tries++) {
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    rewind();
    child = unrelatedSleep();
  }
  try {
    if (saved !== null && Number(readFileSync(LAST, 'latin1')) < saved) writeFileSync(LAST, String(saved));
  } catch {
    // as above
  }
  return { child, pidControl };
}

/**
 * Waits until a pid may be given out again: the process has left /proc (reaped), and no process, zombies
 * included, still has it as its process group or session (Linux keeps such a pid in use).
 */
export async function waitPidFree(pid: number, timeoutMs = 20000): Promise<void> {
  const referenced = (): boolean => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const f = procStat(Number(name));
      if (f !== null && (Number(f[2]) === pid || Number(f[3]) === pid)) return true;
    }
    return false;
  };
  await waitFor(`pid ${pid} to be free`, () => !existsSync(`/proc/${pid}`) && !referenced(), timeoutMs, 50);
}

/**
 * Ends the daemons a test saw. It kills only processes that started after the test began (so never
 * pid 1, the runner or anything of the machine's) and that are not protected (the emperor), each
 * with its process group.
 */
export class Reaper {
  private readonly since = Date.now() - 2000;
  private readonly pids = new Set<number>();
  private readonly pidfiles = new Set<string>();
  private readonly protectedPids = new Set<number>([1, process.pid, process.ppid]);

  /** start ticks of each added pid when added: a pid reused since by another test is left alone. */
  private readonly ticks = new Map<number, number>();

  /** A process the test started or saw: killed at the end. */
  add(pid: number | undefined): void {
    if (pid === undefined) return;
    this.pids.add(pid);
    // The process the test names now (a pid reused by the test itself is the test's again).
    const t = startTicks(pid);
    if (t !== null) this.ticks.set(pid, t);
  }

  // Tests run side by side: a pid (or group id) whose process is not the one this test saw belongs to someone else now.
  private reused(pid: number): boolean {
    const then = this.ticks.get(pid);
    const now = startTicks(pid);
    return then !== undefined && now !== null && now !== then;
  }

  /** A pidfile whose daemon is killed at the end (read then). */
  pidfile(path: string): string {
    this.pidfiles.add(path);
    return path;
  }

  /** A pid never to kill (an emperor). */
  protect(pid: number): void {
    this.protectedPids.add(pid);
  }

  /** Kills every known daemon and its group; returns the pids it handled, once they are gone. */
  async killAll(): Promise<number[]> {
    const candidates = new Set([...this.pids].filter((p) => !this.reused(p)));
    for (const f of this.pidfiles) {
      const pid = pidIn(f);
      // A pid the pidfile names that started after the file was written is a reused one: not ours.
      let written = Infinity;
      try {
        written = statSync(f).mtimeMs;
      } catch {
        // gone
      }
      const started = pid === null ? null : startedAtMs(pid);
      if (pid !== null && !(started !== null && started > written + 1000)) candidates.add(pid);
    }
    const ours = (pid: number): boolean => {
      if (pid <= 1 || this.protectedPids.has(pid)) return false;
      const started = startedAtMs(pid);
      return started !== null && started >= this.since; // gone, or older than the test: not ours
    };
    const handled: number[] = [];
    for (const pid of candidates) {
      if (pid <= 1 || this.protectedPids.has(pid)) continue;
      // Its group may outlive it (a foreground daemon's children): end the group if all of it is ours.
      const members = groupMembers(pid);
      if (members.length > 0 && members.every(ours)) {
        handled.push(pid);
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      if (ours(pid)) {
        handled.push(pid);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    for (const pid of new Set(handled)) await waitGone(pid, 'a daemon killed by the test').catch(() => {});
    return [...candidates];
  }
}

/**
 * Runs `fn` against a fresh emperor. Afterwards: the emperor is stopped (SIGTERM), then every daemon
 * the test saw is killed (they outlive the emperor by design), and cleanup must find nothing else.
 */
export async function withDaemons(fn: (e: EmperorUnderTest, r: Reaper) => Promise<void>): Promise<void> {
  const e = await new EmperorUnderTest().start();
  const r = new Reaper();
  r.protect(e.pid);
  try {
    await fn(e, r);
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    await e.stop('SIGTERM').catch(() => e.stop('SIGKILL'));
    e.forget(await r.killAll());
    const left = await e.cleanup();
    assert.deepEqual(left, [], 'processes left behind that were neither daemons nor ended by the emperor');
  }
}
