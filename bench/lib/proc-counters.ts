// CPU seconds (ticks, user/sys), syscalls, faults, context switches and bytes written of one process, from /proc.
import { listPids, readStat, TICKS_PER_SECOND } from './proc.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { alive, cmdline } from './proc-groups.ts';

/** Clock ticks per second of /proc/PID/stat. */
export const CLK_TCK = TICKS_PER_SECOND;

/** CPU time of a process (all its threads), in seconds; NaN when it is gone. */
export interface Cpu {
  user: number;
  sys: number;
}

/** utime and stime of a process (all its threads), from /proc/PID/stat. */
export function cpuOf(pid: number): Cpu {
  const st = readStat(pid);
  return st === null ? { user: NaN, sys: NaN } : { user: st.utime / CLK_TCK, sys: st.stime / CLK_TCK };
}

/** utime + stime of a process (all its threads), in seconds; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  const c = cpuOf(pid);
  return c.user + c.sys;
}

/** CPU used since `before`. */
export function cpuSince(pid: number, before: Cpu): Cpu {
  const now = cpuOf(pid);
  return { user: now.user - before.user, sys: now.sys - before.sys };
}

/** Counters of a process (all its threads) that explain its CPU time: syscalls, faults, context switches. */
export interface Counters {
  /** read-type and write-type syscalls (/proc/PID/io syscr, syscw). */
  reads: number;
  writes: number;
  /** minor page faults (/proc/PID/stat). */
  minflt: number;
  /** voluntary and involuntary context switches, summed over /proc/PID/task/*. */
  voluntary: number;
  involuntary: number;
}

/** The counters of a process now. */
export function countersOf(pid: number): Counters {
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

/** The counters of a process since `before`. */
export function countersSince(pid: number, before: Counters): Counters {
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
export function wchar(pid: number): number {
  try {
    const m = /^wchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'));
    return m === null ? NaN : Number(m[1]);
  } catch {
    return NaN;
  }
}

/** Live processes whose command line contains `needle` (not this one). */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    if (cmdline(pid).includes(needle) && alive(pid)) out.push(pid);
  }
  return out;
}
