// CPU and resident memory of process groups, read from /proc with descriptors kept open between samples.
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { parseProcStat, type ProcStat } from './stat-bytes.ts';
import { sysconf } from './sysconf.ts';
import { afterRead, dueNow, FRESH_BACKOFF, type SampleBackoff } from '../core/sample-backoff.ts';

/** What one process group used, summed over its live members. */
export interface GroupUsage {
  rssBytes: number;
  /** CPU use since the previous sample, in percent of one core (null on a group's first sample). */
  cpuPercent: number | null;
  /** CPU seconds the group used since the previous sample (its new members: all they have used). */
  cpuSecondsDelta: number;
  members: number;
}

// A process being followed: kept descriptors and the ticks it had at the last sample.
interface Member {
  pid: number;
  fd: number;
  /** /proc/PID/task/PID/children, opened at the first discovery. */
  childrenFd: number | null;
  ticks: number;
  /** sampled before: its ticks are a baseline for CPU percent. */
  seen: boolean;
}

// One followed group: its members, its idle backoff, when it was last read and last searched for children.
// The first member is kept in a field, the others in a Map made for a second one: most groups are one
// process, and a Map with one entry is some 180 bytes a group.
// Its idle backoff is kept in its own two fields (a SampleBackoff object each was 40 bytes a group).
interface Group extends SampleBackoff {
  lead: Member | null;
  others: Map<number, Member> | null;
  lastAt: number | null;
  discoveredAt: number;
}

/** Discoveries between two full scans of /proc (with children files). */
const FULL_SCAN_EVERY = 10;
const ZOMBIE = 0x5a; // 'Z'
const DEAD = 0x58; // 'X'

function closeMember(m: Member): void {
  closeSync(m.fd);
  if (m.childrenFd !== null) closeSync(m.childrenFd);
}

// The group's members in the order they were found.
function membersOf(g: Group): Member[] {
  const out = g.lead === null ? [] : [g.lead];
  if (g.others !== null) for (const m of g.others.values()) out.push(m);
  return out;
}

function setBackoff(g: Group, b: SampleBackoff): void {
  g.idleStreak = b.idleStreak;
  g.skip = b.skip;
}

function memberCount(g: Group): number {
  return (g.lead === null ? 0 : 1) + (g.others?.size ?? 0);
}

function hasMember(g: Group, pid: number): boolean {
  return g.lead?.pid === pid || g.others?.has(pid) === true;
}

// A new member goes after those found before it.
function addMember(g: Group, m: Member): void {
  if (g.lead === null && g.others === null) g.lead = m;
  else (g.others ??= new Map()).set(m.pid, m);
}

function dropMember(g: Group, m: Member): void {
  if (g.lead === m) g.lead = null;
  else g.others?.delete(m.pid);
  if (g.others?.size === 0) g.others = null;
}

/**
 * Samples process trees: a vassal's process group leader (or a daemon's pid) and its descendants.
 * Each member's stat file is read again through its open descriptor:
 * one pread per process per sample, no path lookup. New members are found every
 * `discoverEvery` samples through each member's `children` file (a new group's children at
 * once), or, on kernels without it, by a scan of /proc. pidusage does the same job with an
 * open, an asynchronous read and a string split per pid per sample: measured here at 23 ms of
 * CPU for 500 pids, against about 3 ms for this. A group whose CPU did not move is read less often
 * (src/core/sample-backoff.ts): a sample leaves it out of its answer until it is due again.
 */
export class Sampler {
  private readonly buf = Buffer.alloc(1024);
  private readonly groups = new Map<number, Group>();
  private readonly clockTicks = sysconf('CLK_TCK', 100);
  private readonly pageSize = sysconf('PAGESIZE', 4096);
  private readonly childrenFiles = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);
  private count = 0;

  /** `idleBackoff` false: every group is read at every sample. */
  constructor(
    private readonly discoverEvery = 6,
    private readonly idleBackoff = true,
  ) {}

  /**
   * Samples the given groups; groups not given are forgotten and their descriptors closed. An idle
   * group that is not due is left out of the answer (its last figures stand); `all` reads those too.
   */
  sample(pgids: readonly number[], now: number, all = false): Map<number, GroupUsage> {
    const wanted = new Set(pgids);
    for (const [pgid, g] of this.groups) {
      if (wanted.has(pgid)) continue;
      for (const m of membersOf(g)) closeMember(m);
      this.groups.delete(pgid);
    }
    const fresh = new Set<number>();
    for (const pgid of pgids) {
      if (this.groups.has(pgid)) continue;
      fresh.add(pgid);
      const g: Group = { lead: null, others: null, idleStreak: FRESH_BACKOFF.idleStreak, skip: FRESH_BACKOFF.skip, lastAt: null, discoveredAt: this.count };
      this.groups.set(pgid, g);
      this.follow(g, pgid);
    }
    const count = this.count++;
    // Children files list only the children of a process's main thread: a full scan now and then
    // finds those forked by other threads (and works on kernels without children files).
    if ((count % this.discoverEvery === 0 && !this.childrenFiles) || count % (this.discoverEvery * FULL_SCAN_EVERY) === 0) this.scanProc(wanted);
    const out = new Map<number, GroupUsage>();
    for (const pgid of pgids) {
      const g = this.groups.get(pgid);
      if (g === undefined) continue;
      const isFresh = fresh.has(pgid);
      if (this.idleBackoff && !isFresh && !all) {
        const d = dueNow(g);
        setBackoff(g, d.next);
        if (!d.due) continue;
      }
      if (this.childrenFiles && (isFresh || count - g.discoveredAt >= this.discoverEvery)) {
        g.discoveredAt = count;
        this.findChildren(g);
      }
      let rss = 0;
      let delta = 0;
      let oldDelta = 0;
      for (const m of membersOf(g)) {
        const st = this.readStat(m.fd);
        // With children files the tree is followed (a child that left the group still counts); without, the group.
        if (st === null || st.state === ZOMBIE || st.state === DEAD || (!this.childrenFiles && st.pgrp !== pgid)) {
          closeMember(m);
          dropMember(g, m);
          continue;
        }
        rss += st.rssPages * this.pageSize;
        const d = Math.max(0, st.ticks - m.ticks);
        delta += d;
        if (m.seen) oldDelta += d;
        m.ticks = st.ticks;
        m.seen = true;
      }
      const seconds = g.lastAt === null ? 0 : (now - g.lastAt) / 1000;
      g.lastAt = now;
      if (this.idleBackoff && !isFresh) setBackoff(g, afterRead(g, delta === 0));
      out.set(pgid, {
        rssBytes: rss,
        cpuPercent: isFresh || seconds <= 0 ? null : (oldDelta / this.clockTicks / seconds) * 100,
        cpuSecondsDelta: delta / this.clockTicks,
        members: memberCount(g),
      });
    }
    return out;
  }

  /** Closes every descriptor. */
  close(): void {
    for (const g of this.groups.values()) for (const m of membersOf(g)) closeMember(m);
    this.groups.clear();
  }

  private follow(g: Group, pid: number): void {
    if (hasMember(g, pid)) return;
    try {
      addMember(g, { pid, fd: openSync(`/proc/${pid}/stat`, 'r'), childrenFd: null, ticks: 0, seen: false });
    } catch {
      // gone already
    }
  }

  // Descendants join the group's members, level by level until no new one appears.
  private findChildren(g: Group): void {
    let next = membersOf(g);
    for (let depth = 0; next.length > 0 && depth < 64; depth++) {
      const before = memberCount(g);
      this.childrenOf(next, g);
      next = membersOf(g).slice(before);
    }
  }

  private childrenOf(parents: Member[], g: Group): void {
    for (const m of parents) {
      try {
        m.childrenFd ??= openSync(`/proc/${m.pid}/task/${m.pid}/children`, 'r');
        const n = readSync(m.childrenFd, this.buf, 0, this.buf.length, 0);
        if (n === 0) continue;
        for (const word of this.buf.toString('latin1', 0, n).split(' ')) if (word !== '') this.follow(g, Number(word));
      } catch {
        // exited meanwhile: its stat read drops it
      }
    }
  }

  // Without children files: one pass over /proc, every process whose group is wanted becomes a member.
  private scanProc(wanted: Set<number>): void {
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
      const st = this.readStat(fd);
      const g = st === null || !wanted.has(st.pgrp) ? undefined : this.groups.get(st.pgrp);
      if (g === undefined || hasMember(g, pid)) {
        closeSync(fd);
        continue;
      }
      addMember(g, { pid, fd, childrenFd: null, ticks: 0, seen: false });
    }
  }

  // One pread of a kept stat descriptor, parsed where it lies.
  private readStat(fd: number): ProcStat | null {
    try {
      return parseProcStat(this.buf, readSync(fd, this.buf, 0, this.buf.length, 0));
    } catch {
      return null;
    }
  }
}
