// Smart-attached daemons (SPEC section 5): adopt the live one, or launch and wait for its pidfile;
// then supervise that pid, never a reused one, never someone else's process.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { asWho, withRights, type FsRights } from '../io/fs-rights.ts';
import { bootTimeMs, identify, readPidfile, type ProcessIdentity } from '../io/pidfile.ts';
import { groupAlive, killGroup } from '../io/process-group.ts';
import type { DaemonRecords } from '../io/daemon-records.ts';
import type { SpawnRequest, Spawner } from '../io/spawner.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';

/** How often a daemon's pid is checked (SPEC: at least once a second). */
export const DAEMON_CHECK_MS = 1000;
/** How often the pidfile is read while waiting for it. */
const WAIT_POLL_MS = 50;
/** A daemon with no record is adopted only if it wrote its pidfile within this long after it started. */
export const MAX_PIDFILE_DELAY_MS = 60_000;
// Clock ticks are 10 ms: start times are compared with this much slack.
const SLACK_MS = 50;

/** Everything one daemon start needs. */
export interface DaemonOptions {
  name: string;
  pidfile: string;
  pidfileBy: 'daemon' | 'emperor';
  request: SpawnRequest;
  spawner: Spawner;
  records: DaemonRecords;
  startTimeoutMs: number;
  /** uid the daemon must run as: the vassal's user, else the emperor's. */
  uid: number;
  /** whose rights read (and, with pidfileBy emperor, write) the pidfile; null: the emperor's own. */
  rights: FsRights | null;
  emperorPid: number;
  guard: { track(pgid: number): void; untrack(pgid: number): void };
  note(message: string): void;
  /** what stops the daemon, should one appear after its start was cancelled. */
  stopSignal: string;
  stopTimeoutMs: number;
}

/** Why the process a pidfile names is not this daemon, or null when it is. */
export function notOurs(id: ProcessIdentity, mtimeMs: number, o: Pick<DaemonOptions, 'name' | 'uid' | 'emperorPid' | 'records'>): string | null {
  if (id.pid === 1) return 'it is pid 1';
  if (id.pid === o.emperorPid) return 'it is the emperor itself';
  const rec = o.records.get(o.name);
  if (rec !== null && rec.pid === id.pid && rec.startTicks === id.startTicks && Math.abs(rec.bootMs - bootTimeMs()) < 2000) return null;
  if (id.uid !== o.uid) return `it runs as uid ${id.uid}, not ${o.uid}`;
  if (id.startMs > mtimeMs + SLACK_MS) return 'it started after the pidfile was written (a reused pid)';
  if (mtimeMs - id.startMs > MAX_PIDFILE_DELAY_MS) {
    return `it started ${Math.round((mtimeMs - id.startMs) / 1000)} s before the pidfile was written: an unrelated older process`;
  }
  return null;
}

/**
 * A daemon being supervised through its pid. With `group`, signals go to its process group: a
 * foreground command the emperor launched (smart-attach-daemon2) leads its own group, and
 * `/bin/sh -c` may keep the real program as its child.
 */
function supervise(id: ProcessIdentity, o: DaemonOptions): Supervised {
  const group = o.pidfileBy === 'emperor';
  const listeners: Array<(code: number | null, signal: string | null) => void> = [];
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let done = false;
  const same = (): boolean => identify(id.pid)?.startTicks === id.startTicks;
  const finish = (): void => {
    if (done) return;
    done = true;
    if (timer !== null) clearInterval(timer);
    watcher?.close();
    o.records.delete(o.name);
    for (const l of listeners) l(null, null);
  };
  const check = (): void => {
    if (!same()) finish();
  };
  timer = setInterval(check, DAEMON_CHECK_MS);
  try {
    watcher = watch(dirname(o.pidfile), (_event, file) => {
      if (file === null || file === basename(o.pidfile)) check();
    });
    watcher.on('error', () => {});
  } catch {
    // the pid check alone still runs every second
  }
  const unrecorded = o.records.set(o.name, { pid: id.pid, startTicks: id.startTicks, bootMs: bootTimeMs(), pidfile: o.pidfile });
  if (unrecorded !== null) o.note(unrecorded);
  return {
    pid: id.pid,
    guarded: false,
    // Never a signal to a pid that now belongs to another process.
    signal: (sig) => {
      // A group id cannot be reused while any member lives: its members are still the daemon's.
      if (group ? !same() && !groupAlive(id.pid) : !same()) return check();
      try {
        process.kill(group ? -id.pid : id.pid, sig as NodeJS.Signals);
      } catch {
        check();
      }
    },
    // Never to a pid that now belongs to another process.
    signalMain: (sig) => {
      if (!same()) return false;
      try {
        process.kill(id.pid, sig as NodeJS.Signals);
        return true;
      } catch {
        return false;
      }
    },
    alive: () => (!done && same()) || (group && groupAlive(id.pid)),
    onExit: (l) => listeners.push(l),
    release: () => {
      done = true;
      if (timer !== null) clearInterval(timer);
      watcher?.close();
    },
  };
}

/** Adopts the live daemon its pidfile names, or launches the command and waits for the pidfile. */
export function startDaemon(o: DaemonOptions): Supervised | PendingSpawn | { error: string } {
  const before = readPidfile(o.pidfile, o.rights);
  let stale: { pid: number; mtimeMs: number } | null = null;
  if (before.ok) {
    const id = identify(before.pid);
    if (id !== null) {
      const why = notOurs(id, before.mtimeMs, o);
      if (why === null) {
        o.note(`adopted the running daemon pid ${id.pid} (${id.name}) named by ${o.pidfile}`);
        return supervise(id, o);
      }
      o.note(`pidfile ${o.pidfile} names pid ${id.pid} (${id.name}), which is not this daemon: ${why}; it is left alone`);
    }
    stale = { pid: before.pid, mtimeMs: before.mtimeMs };
  }
  const launchedMs = Date.now();
  const child = o.spawner.spawn(o.request);
  if ('error' in child) return child;
  const launcher = child.pid;
  o.guard.track(launcher);
  let launcherExit: string | null = null;
  child.onExit((code, signal) => {
    launcherExit = signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`;
  });
  if (o.pidfileBy === 'emperor') {
    // uWSGI's smart-attach-daemon2: the command stays in the foreground and the emperor writes the pidfile.
    const id = identify(launcher);
    o.guard.untrack(launcher);
    if (id === null) return { error: `${o.name}: the command exited at once` };
    try {
      writePidfile(o.pidfile, launcher, o.rights);
    } catch (err) {
      killGroup(launcher, 'SIGKILL');
      return { error: `cannot write pidfile ${o.pidfile}${asWho(o.rights)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
    return supervise(id, o);
  }
  let cancelled = false;
  let settle: (r: Supervised | { error: string }) => void = () => {};
  const pending = new Promise<Supervised | { error: string }>((resolve) => (settle = resolve));
  let last = 'the pidfile never appeared';
  const deadline = launchedMs + o.startTimeoutMs;
  const endLauncher = (): void => {
    o.guard.untrack(launcher);
    if (groupAlive(launcher)) killGroup(launcher, 'SIGKILL');
  };
  const poll = (): void => {
    if (cancelled) return;
    const r = readPidfile(o.pidfile, o.rights);
    if (r.ok && stale !== null && r.pid === stale.pid && r.mtimeMs === stale.mtimeMs) {
      last = `pidfile ${o.pidfile} still names pid ${r.pid}, which is not this daemon (the command never rewrote it)`;
    } else if (r.ok) {
      const id = identify(r.pid);
      if (id !== null && id.startMs + SLACK_MS >= launchedMs && id.uid === o.uid && id.pid !== o.emperorPid) {
        o.guard.untrack(launcher); // the daemon outlives the emperor, launcher group included
        settle(supervise(id, o));
        return;
      }
      last = id === null ? `pidfile ${o.pidfile} names pid ${r.pid}, which is not running` : `pidfile ${o.pidfile} names pid ${r.pid} (${id.name}), which is not the process this launch started`;
    } else if (!r.ok) {
      last = r.message;
    }
    if (Date.now() >= deadline) {
      const foreground = launcherExit === null && groupAlive(launcher);
      endLauncher();
      settle({
        error: `${last} within ${Math.round(o.startTimeoutMs / 1000)} s of the launch` +
          (foreground ? '; the command was still running in the foreground: it never daemonized (use `command` for a program that stays in the foreground)' : launcherExit !== null ? `; the command ${launcherExit}` : ''),
      });
      return;
    }
    setTimeout(poll, WAIT_POLL_MS);
  };
  setTimeout(poll, 0);
  return {
    pending,
    cancel: (stopDaemon = true) => {
      if (cancelled) return;
      cancelled = true;
      endLauncher();
      settle({ error: 'start cancelled' });
      if (!stopDaemon) return; // the emperor shuts down: a daemon that appears is the next emperor's
      // The launcher may have forked the daemon already: it gets stopped when its pidfile names it.
      const sweep = (): void => {
        const r = readPidfile(o.pidfile, o.rights);
        const id = r.ok && !(stale !== null && r.pid === stale.pid && r.mtimeMs === stale.mtimeMs) ? identify(r.pid) : null;
        if (id !== null && id.startMs + SLACK_MS >= launchedMs && id.uid === o.uid && id.pid !== o.emperorPid && id.pid !== 1) {
          o.note(`stopping pid ${id.pid} (${id.name}), the daemon of a start that was cancelled`);
          try {
            process.kill(id.pid, o.stopSignal as NodeJS.Signals);
          } catch {
            return;
          }
          setTimeout(() => {
            if (identify(id.pid)?.startTicks === id.startTicks) process.kill(id.pid, 'SIGKILL');
          }, o.stopTimeoutMs).unref();
          return;
        }
        if (Date.now() < deadline) setTimeout(sweep, WAIT_POLL_MS * 4).unref();
      };
      sweep();
    },
  };
}

function writePidfile(path: string, pid: number, rights: FsRights | null): void {
  withRights(rights, () => {
    // O_NONBLOCK: a FIFO in the pidfile's place fails (ENXIO) rather than hanging the emperor.
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY, 0o644);
    try {
      if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
      ftruncateSync(fd, 0);
      writeSync(fd, `${pid}\n`);
    } finally {
      closeSync(fd);
    }
  });
}
