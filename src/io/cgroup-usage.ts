// CPU (cpu.stat) and, where the memory controller is on, resident memory (memory.stat) of contained
// instances, laid over what the process sampler found: a cgroup read at every sample keeps its files open
// (one pread each, parsed where it lies); memory.stat is read only when the cgroup used CPU since its last read.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_IDLE_SKIP } from '../core/sample-backoff.ts';
import { flatKeyedValue } from './stat-bytes.ts';

/** What the sampler reports per group; the cgroup's figures replace its own where there are any. */
export interface UsageFigures {
  rssBytes: number;
  cpuPercent: number | null;
  cpuSecondsDelta: number;
}

// One cgroup being read: its kept descriptors, its last CPU reading and memory figure.
interface Followed {
  /** the leading pid it was read for: once `cgroupOf(pid)` no longer names it, the cgroup is gone. */
  pid: number;
  cpuFd: number | null;
  /** memory.stat's descriptor; null: not opened yet; -1: the file is not there (no memory controller). */
  memFd: number | null;
  /** usage_usec at the last reading (an integer: no boxed number), -1 before the first; `lastAt`: when. */
  lastUsec: number;
  lastAt: number;
  rss: number | null;
  /** the overlay call that last read it. */
  seenAt: number;
}

/** A cgroup not read for this many overlays is forgotten (the sampler reads an idle one at least every MAX_IDLE_SKIP + 1). */
const FORGET_AFTER = 2 * (MAX_IDLE_SKIP + 1);
const ABSENT = -1;
// `lastUsec` of a cgroup not read yet.
const NOT_READ = -1;

function openOrNull(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch {
    return null;
  }
}

function closeFd(fd: number | null): void {
  if (fd !== null && fd !== ABSENT) closeSync(fd);
}

/** Reads each instance's cgroup: CPU since the last sample counts every process, a setsid or double-forked one too. */
export class CgroupUsage {
  private readonly followed = new Map<string, Followed>();
  private readonly buf = Buffer.alloc(16 * 1024);
  private calls = 0;

  /** Replaces the figures of each group that has a cgroup (`cgroupOf`); cgroups `cgroupOf` no longer names are forgotten. */
  overlay<T extends UsageFigures>(usage: Map<number, T>, cgroupOf: (pid: number) => string | null, now: number): Map<number, T> {
    const call = this.calls++;
    for (const [pid, u] of usage) {
      const dir = cgroupOf(pid);
      if (dir === null) continue;
      let f = this.followed.get(dir);
      if (f === undefined) {
        f = { pid, cpuFd: null, memFd: null, lastUsec: NOT_READ, lastAt: 0, rss: null, seenAt: call };
        this.followed.set(dir, f);
      }
      f.pid = pid;
      f.seenAt = call;
      const usec = this.cpuUsec(f, dir);
      let moved = true;
      if (usec !== null) {
        const seconds = usec / 1e6;
        const first = f.lastUsec === NOT_READ;
        const prevSeconds = f.lastUsec / 1e6;
        const prevAt = f.lastAt;
        f.lastUsec = usec;
        f.lastAt = now;
        moved = first || seconds !== prevSeconds;
        u.cpuSecondsDelta = first ? seconds : Math.max(0, seconds - prevSeconds);
        u.cpuPercent = first || now <= prevAt ? null : ((seconds - prevSeconds) / ((now - prevAt) / 1000)) * 100;
      }
      // An idle cgroup's resident memory stands: its processes cannot grow it without using CPU.
      if (moved || f.rss === null) f.rss = this.residentBytes(f, dir);
      if (f.rss !== null) u.rssBytes = f.rss;
    }
    // Descriptors are kept only for cgroups read now: one sitting out (idle) opens its files again when due, and
    // the cgroups of ended instances (a crash loop makes one per spawn) hold none. A removed one is let go.
    for (const [dir, f] of this.followed) {
      if (cgroupOf(f.pid) !== dir || call - f.seenAt > FORGET_AFTER) this.forget(dir, f);
      else if (f.seenAt !== call) this.release(f);
    }
    return usage;
  }

  /**
   * A reused cgroup now leads with `pid` (a respawn in the leaf its instance's last process left): its
   * last reading carries on, so what the ended process used is never counted a second time.
   */
  follow(dir: string, pid: number): void {
    const f = this.followed.get(dir);
    if (f !== undefined) f.pid = pid;
  }

  /** Closes every descriptor. */
  close(): void {
    for (const [dir, f] of this.followed) this.forget(dir, f);
  }

  private forget(dir: string, f: Followed): void {
    this.release(f);
    this.followed.delete(dir);
  }

  // Closes its descriptors; what it read (and that memory.stat is absent) stays.
  private release(f: Followed): void {
    closeFd(f.cpuFd);
    f.cpuFd = null;
    if (f.memFd !== ABSENT) closeFd(f.memFd);
    if (f.memFd !== ABSENT) f.memFd = null;
  }

  // cpu.stat's usage_usec; a cgroup removed and made again under the same name (a respawn) starts afresh.
  private cpuUsec(f: Followed, dir: string): number | null {
    for (let attempt = 0; attempt < 2; attempt++) {
      f.cpuFd ??= openOrNull(join(dir, 'cpu.stat'));
      if (f.cpuFd === null) return null;
      const n = this.pread(f.cpuFd);
      if (n !== null) return flatKeyedValue(this.buf, n, 'usage_usec');
      closeFd(f.cpuFd);
      closeFd(f.memFd);
      Object.assign(f, { cpuFd: null, memFd: null, lastUsec: NOT_READ, rss: null });
    }
    return null;
  }

  // memory.stat's anon + file_mapped, so `rss_bytes` and `max-rss` keep meaning resident memory (memory.current counts the page cache too).
  private residentBytes(f: Followed, dir: string): number | null {
    f.memFd ??= openOrNull(join(dir, 'memory.stat')) ?? ABSENT;
    if (f.memFd === ABSENT) return null;
    const n = this.pread(f.memFd);
    if (n === null) return null;
    const anon = flatKeyedValue(this.buf, n, 'anon');
    return anon === null ? null : anon + (flatKeyedValue(this.buf, n, 'file_mapped') ?? 0);
  }

  private pread(fd: number): number | null {
    try {
      return readSync(fd, this.buf, 0, this.buf.length, 0);
    } catch {
      return null;
    }
  }
}
