// The bench suite's one /proc reader: process listing, stat, cmdline, PSS, CPU ticks, and the 2 ms marker scan.
import { readdirSync, readFileSync } from 'node:fs';

/** One process as /proc/PID/stat describes it. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  /** utime + stime in clock ticks (10 ms on Linux). */
  ticks: number;
  utime: number;
  stime: number;
}

/** Clock ticks per second (USER_HZ is 100 on every Linux Node runs on). */
export const TICKS_PER_SECOND = 100;

/** Every numeric entry of /proc. */
export function listPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/** /proc/PID/stat parsed; null when the process is gone. */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]), ticks: Number(rest[11]) + Number(rest[12]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** The argument vector of a process; null when gone, [] for a zombie or kernel thread. */
export function readArgv(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return raw.length === 0 ? [] : raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const st = readStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

/** Proportional set size of a process in kB (smaps_rollup); 0 when gone. */
export function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** Live processes under the given roots (the roots included), from one pass over /proc. */
export function treeOf(roots: readonly number[]): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  const all = new Map<number, ProcStat>();
  for (const pid of listPids()) {
    const st = readStat(pid);
    if (st === null || st.state === 'Z' || st.state === 'X') continue;
    all.set(pid, st);
    const list = byParent.get(st.ppid);
    if (list === undefined) byParent.set(st.ppid, [st]);
    else list.push(st);
  }
  const out: ProcStat[] = [];
  const seen = new Set<number>();
  const queue: number[] = [];
  for (const r of roots) {
    const st = all.get(r);
    if (st !== undefined && !seen.has(r)) {
      seen.add(r);
      out.push(st);
      queue.push(r);
    }
  }
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    for (const c of byParent.get(p) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'latin1').split(' ')[0]);
}

/** The argv of a program's child: `sleep 1000000 MARKER` (or a shell line ending in the marker). */
export function markerOf(argv: readonly string[], tag: string): string | null {
  for (let i = argv.length - 1; i >= 1; i--) {
    const a = argv[i] ?? '';
    const at = a.indexOf(tag);
    if (at >= 0) return a.slice(at, at + tag.length + 5);
  }
  return null;
}

function isSleep(argv: readonly string[]): boolean {
  const a0 = argv[0] ?? '';
  return a0 === 'sleep' || a0.endsWith('/sleep');
}

/**
 * Finds the programs' children: processes whose argv[0] is sleep and whose last argument carries the run's tag.
 * A pid seen as something else is read again on every scan until it has been known for rereadMs (fork, then
 * exec), then only on a full pass every fullEveryMs (a fork that took longer to exec is still found).
 */
export class MarkerScanner {
  private readonly baseline = new Set<number>();
  private readonly ignore = new Set<number>();
  private lastFull = performance.now();
  private readonly firstSeen = new Map<number, number>();
  /** marker -> pid of its live child */
  readonly children = new Map<string, number>();
  private readonly pidMarker = new Map<number, string>();

  constructor(readonly tag: string, private readonly rereadMs = 1000, private readonly fullEveryMs = 500) {
    for (const pid of listPids()) this.baseline.add(pid);
  }

  /** One pass over /proc; updates `children`. */
  scan(): void {
    const now = performance.now();
    const full = now - this.lastFull > this.fullEveryMs;
    if (full) this.lastFull = now;
    const live = new Set<number>();
    for (const pid of listPids()) {
      live.add(pid);
      if (this.baseline.has(pid)) continue;
      if (this.ignore.has(pid) && !full) continue;
      if (this.pidMarker.has(pid)) continue;
      const seen = this.firstSeen.get(pid);
      if (seen === undefined) this.firstSeen.set(pid, now);
      else if (now - seen > this.rereadMs) this.ignore.add(pid);
      const argv = readArgv(pid);
      if (argv === null || !isSleep(argv)) continue;
      const marker = markerOf(argv, this.tag);
      if (marker === null) continue;
      this.pidMarker.set(pid, marker);
      this.children.set(marker, pid);
    }
    for (const [pid, marker] of this.pidMarker) {
      if (live.has(pid)) continue;
      this.pidMarker.delete(pid);
      if (this.children.get(marker) === pid) this.children.delete(marker);
    }
    for (const pid of this.firstSeen.keys()) if (!live.has(pid)) this.firstSeen.delete(pid);
    for (const pid of this.ignore) if (!live.has(pid)) this.ignore.delete(pid);
  }

  /** Scans every `everyMs` until `done()` holds; the time it held (performance.now()), or null on timeout. */
  async until(done: () => boolean, timeoutMs: number, everyMs = 2): Promise<number | null> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.scan();
      const t = performance.now();
      if (done()) return t;
      if (t > deadline) return null;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
