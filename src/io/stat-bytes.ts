// Numbers read straight from the bytes of /proc and cgroup files, with no string made: the sampler
// reads hundreds of them per sample.

/** Per-process facts from /proc/PID/stat. */
export interface ProcStat {
  /** the state letter's byte ('Z' zombie, 'X' dead...). */
  state: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  rssPages: number;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const CLOSE_PAREN = 0x29;

// The decimal number starting at `from` (up to the first non-digit).
function digitsAt(b: Buffer, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < n; i++) {
    const ch = b[i] ?? SPACE;
    if (ch < 48 || ch > 57) break;
    v = v * 10 + (ch - 48);
  }
  return v;
}

/** Parses state, pgrp, utime+stime and rss from the first `n` bytes of a stat file: fields 3, 5, 14, 15 and 24. */
export function parseProcStat(b: Buffer, n: number): ProcStat | null {
  const paren = b.lastIndexOf(CLOSE_PAREN, n - 1);
  if (paren < 0) return null;
  const state = b[paren + 2] ?? 0;
  // `pos` is the space before field `field`: the one right after the parenthesis precedes field 3 (state).
  let pos = paren + 1;
  let field = 3;
  const at = (k: number): number => {
    while (field < k) {
      pos = b.indexOf(SPACE, pos + 1);
      if (pos < 0 || pos >= n) return -1;
      field++;
    }
    return digitsAt(b, pos + 1, n);
  };
  const pgrp = at(5);
  const utime = at(14);
  const stime = at(15);
  const rss = at(24);
  if (pgrp < 0 || utime < 0 || stime < 0 || rss < 0) return null;
  return { state, pgrp, ticks: utime + stime, rssPages: rss };
}

// Whether the bytes at `at` spell `key` (ASCII).
function startsWith(b: Buffer, at: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (b[at + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** The value of `key` in the first `n` bytes of a flat-keyed file (`key value` lines: cpu.stat, memory.stat); null when absent. */
export function flatKeyedValue(b: Buffer, n: number, key: string): number | null {
  for (let start = 0; start < n; ) {
    let end = b.indexOf(NEWLINE, start);
    if (end < 0 || end > n) end = n;
    if (end - start > key.length && b[start + key.length] === SPACE && startsWith(b, start, key)) {
      return digitsAt(b, start + key.length + 1, end);
    }
    start = end + 1;
  }
  return null;
}
