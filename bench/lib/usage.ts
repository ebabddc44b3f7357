// CPU time and private memory of a set of processes, read from /proc: nanoseconds from schedstat beside ticks.
import { readdirSync, readFileSync } from 'node:fs';
import { TICKS_PER_SECOND } from './proc.ts';
import type { ProcStat } from './proc.ts';

/**
 * CPU time a process has run, in ns: the first field (sum_exec_runtime) of /proc/PID/task/TID/schedstat summed over
 * its live threads (/proc/PID/schedstat alone is the main thread). A thread that ended is not counted (ticks in
 * /proc/PID/stat keep it), so both are read and compared. null when the process is gone or schedstat is missing.
 */
export function cpuNs(pid: number): number | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let sum = 0;
  let read = 0;
  for (const tid of tids) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      read++;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return read === 0 ? null : sum;
}

/** Private memory of a process in kB: Private_Clean + Private_Dirty of smaps_rollup (0 when gone). */
export function privateKb(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const clean = /^Private_Clean:\s+(\d+) kB/m.exec(text);
    const dirty = /^Private_Dirty:\s+(\d+) kB/m.exec(text);
    return Number(clean?.[1] ?? 0) + Number(dirty?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** One reading of a set of processes' CPU: ticks (from their stat) and ns (from their threads' schedstat). */
export type CpuReading = Map<number, { ticks: number; ns: number | null }>;

/** Reads the CPU of each process (ticks come from the stat already read). */
export function readCpu(procs: readonly ProcStat[]): CpuReading {
  return new Map(procs.map((p) => [p.pid, { ticks: p.ticks, ns: cpuNs(p.pid) }]));
}

/** CPU used between two readings, in seconds, by schedstat and by ticks; a process in one reading only counts from 0. */
export interface CpuUsed {
  /** schedstat (ns) seconds; null when schedstat could not be read */
  schedS: number | null;
  /** /proc/PID/stat utime+stime seconds (10 ms ticks) */
  ticksS: number;
}

/** The CPU seconds between two readings. */
export function cpuBetween(before: CpuReading, after: CpuReading): CpuUsed {
  let ticks = 0;
  let ns = 0;
  let schedOk = true;
  for (const [pid, a] of after) {
    const b = before.get(pid);
    ticks += a.ticks - (b?.ticks ?? 0);
    if (a.ns === null || (b !== undefined && b.ns === null)) schedOk = false;
    else ns += a.ns - (b?.ns ?? 0);
  }
  // a process gone by the second reading: its last interval is unknown to both counters (as before this file)
  return { schedS: schedOk ? ns / 1e9 : null, ticksS: ticks / TICKS_PER_SECOND };
}
