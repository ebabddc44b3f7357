// One cgroup v2 directory: create, move a process in, signal every process, cgroup.kill, wait for it to empty, remove.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmdirSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { parseCpuUsageUsec, parseOomKills, parsePids, parsePopulated, parseResidentBytes } from '../core/cgroup-facts.ts';

/** Reads a cgroup file; null when it (or the cgroup) is gone. */
export function readCgroupFile(dir: string, file: string): string | null {
  try {
    return readFileSync(join(dir, file), 'latin1');
  } catch {
    return null;
  }
}

/** Writes a cgroup file; the system's error message on failure. */
export function writeCgroupFile(dir: string, file: string, value: string): string | null {
  try {
    writeFileSync(join(dir, file), value);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `${join(dir, file)}: ${e.code ?? e.message}`;
  }
}

/** Creates a cgroup (no error when it exists). */
export function makeCgroup(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `cannot create cgroup ${dir}: ${e.code ?? e.message}`;
  }
}

/**
 * Creates a new leaf cgroup (its parent exists); 'exists' when that name is taken (a cgroup an earlier
 * emperor made for a daemon that still runs), else null or why not.
 */
export function makeLeafCgroup(dir: string): 'exists' | string | null {
  try {
    mkdirSync(dir);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') return 'exists';
    if (e.code === 'ENOENT') return makeCgroup(dir);
    return `cannot create cgroup ${dir}: ${e.code ?? e.message}`;
  }
}

/** Moves a process into a cgroup. */
export function moveInto(dir: string, pid: number): string | null {
  return writeCgroupFile(dir, 'cgroup.procs', String(pid));
}

/** The processes in the cgroup itself (not its children). */
export function cgroupPids(dir: string): number[] {
  return parsePids(readCgroupFile(dir, 'cgroup.procs') ?? '');
}

// One small cgroup file read into a shared buffer: open, one read, close (readFileSync also stats and reads
// until end of file, and makes a Buffer). cgroup.events and memory.events are a few dozen bytes.
const small = Buffer.alloc(1024);

/** A cgroup file of at most 1 KiB (cgroup.events, memory.events); null when it (or the cgroup) is gone. */
export function readSmallCgroupFile(dir: string, file: string): string | null {
  let fd: number;
  try {
    fd = openSync(join(dir, file), 'r');
  } catch {
    return null;
  }
  try {
    return small.toString('latin1', 0, readSync(fd, small, 0, small.length, 0));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** True while any process is in the cgroup or below (zombies do not count); false once it is gone. */
export function populated(dir: string): boolean {
  return parsePopulated(readSmallCgroupFile(dir, 'cgroup.events') ?? '') ?? false;
}

/**
 * Sends a signal once to every process in the cgroup and its children at the call. One pass, not
 * passes until no new pid appears: what a TERM handler forks to clean up (a daemon's `rm -f pidfile`)
 * must not get the TERM too. A process forked in the instant of the pass is not signalled; the stop
 * waits for the cgroup to empty and `cgroup.kill` at stop-timeout ends it. SIGKILL is cgroup.kill.
 * True when some process was signalled.
 */
export function signalCgroup(dir: string, signal: NodeJS.Signals | number, io: SignalIo = realSignalIo): boolean {
  if (signal === 'SIGKILL' || signal === 9) return killCgroup(dir);
  const pids = new Set(io.pids(dir));
  for (const pid of pids) {
    try {
      io.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
  return pids.size > 0;
}

/** What signalCgroup reads and sends through (a test passes its own to see what is signalled when). */
export interface SignalIo {
  pids(dir: string): number[];
  kill(pid: number, signal: NodeJS.Signals | number): void;
}

const realSignalIo: SignalIo = { pids: (dir) => allPids(dir), kill: (pid, signal) => void process.kill(pid, signal) };

// Pids of the cgroup and every cgroup below it.
function allPids(dir: string): number[] {
  const out = cgroupPids(dir);
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return out;
  }
  for (const child of entries) out.push(...allPids(join(dir, child)));
  return out;
}

/** SIGKILL to every process of the cgroup and below at once (cgroup.kill); falls back to signalling each pid. */
export function killCgroup(dir: string): boolean {
  const had = populated(dir);
  if (!had) return false;
  if (existsSync(join(dir, 'cgroup.kill')) && writeCgroupFile(dir, 'cgroup.kill', '1') === null) return true;
  for (const pid of allPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return true;
}

/** Removes an empty cgroup and its empty children; false when something still lives in it. */
export function removeCgroup(dir: string): boolean {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  for (const child of entries) removeCgroup(join(dir, child));
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Resolves true once cgroup.events says `populated 0`, false at the deadline. The kernel signals a
 * change of cgroup.events as a file modification, which inotify (fs.watch) sees; a poll every
 * `pollMs` covers a missed event.
 */
export function waitEmpty(dir: string, timeoutMs: number, pollMs = 100): Promise<boolean> {
  if (!populated(dir)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let watcher: FSWatcher | null = null;
    const finish = (empty: boolean): void => {
      clearInterval(poll);
      clearTimeout(deadline);
      watcher?.close();
      resolve(empty);
    };
    const check = (): void => {
      if (!populated(dir)) finish(true);
    };
    const poll = setInterval(check, pollMs);
    const deadline = setTimeout(() => finish(!populated(dir)), timeoutMs);
    try {
      watcher = watch(join(dir, 'cgroup.events'), check);
      watcher.on('error', () => {});
    } catch {
      // the poll does it
    }
    check();
  });
}

/** CPU seconds a cgroup used (cpu.stat usage_usec), or null. */
export function cgroupCpuSeconds(dir: string): number | null {
  const usec = parseCpuUsageUsec(readCgroupFile(dir, 'cpu.stat') ?? '');
  return usec === null ? null : usec / 1e6;
}

/** Resident bytes of a cgroup (memory.stat anon + file_mapped), or null without the memory controller. */
export function cgroupResidentBytes(dir: string): number | null {
  const text = readCgroupFile(dir, 'memory.stat');
  return text === null ? null : parseResidentBytes(text);
}

/** OOM kills the kernel made in the cgroup (memory.events), 0 without the memory controller. */
export function cgroupOomKills(dir: string): number {
  return parseOomKills(readSmallCgroupFile(dir, 'memory.events') ?? '');
}

/** The child cgroups of a cgroup, by name. */
export function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}
