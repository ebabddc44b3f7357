// The 200 MiB test file of numbered lines, and the check of a rotated log made from it (hash, then line by line).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { nowMs } from '../../lib/summary.ts';
import { LINE_BYTES, LINES, TOTAL_BYTES, BATCH_LINES } from './constants.ts';

/** Writes LINES numbered lines to `path` in ~64 KiB batches; returns the time it took. */
export function makeTestFile(path: string): number {
  const t0 = nowMs();
  const template = Buffer.alloc(BATCH_LINES * LINE_BYTES, 0x78);
  for (let i = 0; i < BATCH_LINES; i++) template[i * LINE_BYTES + LINE_BYTES - 1] = 0x0a;
  const fd = openSync(path, 'w');
  try {
    for (let n = 0; n < LINES; n += BATCH_LINES) {
      const k = Math.min(BATCH_LINES, LINES - n);
      const buf = Buffer.from(template.subarray(0, k * LINE_BYTES));
      for (let i = 0; i < k; i++) buf.write(`line ${n + i} `, i * LINE_BYTES, 'latin1');
      writeSync(fd, buf);
    }
  } finally {
    closeSync(fd);
  }
  return nowMs() - t0;
}

/** sha1 of the files concatenated (the rotated log, oldest first, against the test file). */
export function sha1Files(paths: readonly string[]): string {
  const h = createHash('sha1');
  for (const p of paths) h.update(readFileSync(p));
  return h.digest('hex');
}

// --- checking a rotated log --------------------------------------------------------------------------

interface LogFile {
  name: string;
  size: number;
  endsWithNewline: boolean;
}

/** What a rotated log holds, compared with the test file. */
export interface LogCheck {
  files: LogFile[];
  bytes: number;
  /** the files concatenated oldest first equal the test file byte for byte. */
  identical: boolean;
  /** lines entirely inside one file. */
  whole: number;
  /** lines split across two files (whole again when the files are joined). */
  cut: number;
  /** numbered lines that appear nowhere. */
  lost: number;
  /** lines that are not a test line (fragments, garbage); 0 when identical. */
  bad: number;
  maxFileBytes: number;
}

/** OUT and OUT.N in `dir`, oldest first (OUT.N ... OUT.1, OUT). */
export function rotatedFiles(dir: string, base: string): string[] {
  const numbered = readdirSync(dir)
    .map((n) => ({ n, m: new RegExp(`^${base.replace(/\./g, '\\.')}\\.(\\d+)$`).exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(b.m[1]) - Number(a.m[1]))
    .map((x) => join(dir, x.n));
  return existsSync(join(dir, base)) ? [...numbered, join(dir, base)] : numbered;
}

/** Bytes in the log and its rotated files, polled while a copy runs. */
export function totalSize(dir: string, base: string): number {
  let sum = 0;
  for (const p of rotatedFiles(dir, base)) {
    try {
      sum += statSync(p).size;
    } catch {
      // renamed between the listing and the stat: the next poll sees it
    }
  }
  return sum;
}

/** Checks a rotated log against the test file: by hash, then line by line when it differs. */
export function checkLog(dir: string, base: string, expectedSha1: string): LogCheck {
  const paths = rotatedFiles(dir, base);
  const files: LogFile[] = paths.map((p) => {
    const size = statSync(p).size;
    let endsWithNewline = false;
    if (size > 0) {
      const fd = openSync(p, 'r');
      const b = Buffer.alloc(1);
      try {
        readFileTail(fd, b, size - 1);
      } finally {
        closeSync(fd);
      }
      endsWithNewline = b[0] === 0x0a;
    }
    return { name: p.slice(dir.length + 1), size, endsWithNewline };
  });
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const maxFileBytes = files.reduce((m, f) => Math.max(m, f.size), 0);
  const identical = bytes === TOTAL_BYTES && sha1Files(paths) === expectedSha1;
  if (identical) {
    // Lines are 100 bytes and files far longer: each file that does not end in '\n' cuts one line.
    const cut = files.slice(0, -1).filter((f) => f.size > 0 && !f.endsWithNewline).length;
    return { files, bytes, identical, whole: LINES - cut, cut, lost: 0, bad: 0, maxFileBytes };
  }
  return { files, bytes, identical, ...lineByLine(paths), maxFileBytes };
}

/** Reads the byte at `position` into `into`. */
export function readFileTail(fd: number, into: Buffer, position: number): void {
  readSync(fd, into, 0, 1, position);
}

/** The slow path when the files differ from the test file: every line parsed and counted. */
function lineByLine(paths: readonly string[]): { whole: number; cut: number; lost: number; bad: number } {
  const bufs = paths.map((p) => readFileSync(p));
  const boundaries: number[] = [];
  let off = 0;
  for (const b of bufs.slice(0, -1)) boundaries.push((off += b.length));
  const all = Buffer.concat(bufs);
  const seen = new Uint8Array(LINES);
  let whole = 0;
  let cut = 0;
  let bad = 0;
  let bi = 0;
  let start = 0;
  while (start < all.length) {
    let end = all.indexOf(0x0a, start);
    if (end < 0) end = all.length;
    while (bi < boundaries.length && (boundaries[bi] as number) <= start) bi++;
    const spans = bi < boundaries.length && (boundaries[bi] as number) <= end;
    const n = parseTestLine(all, start, end);
    if (n === null || seen[n] === 1) bad++;
    else {
      seen[n] = 1;
      if (spans) cut++;
      else whole++;
    }
    start = end + 1;
  }
  let lost = 0;
  for (let i = 0; i < LINES; i++) if (seen[i] === 0) lost++;
  return { whole, cut, lost, bad };
}

/** The number of a well-formed test line `all[start..end)` (no '\n'), or null. */
function parseTestLine(all: Buffer, start: number, end: number): number | null {
  if (end - start !== LINE_BYTES - 1 || all.toString('latin1', start, start + 5) !== 'line ' || all[end - 1] !== 0x78) return null;
  const sp = all.indexOf(0x20, start + 5);
  if (sp < 0 || sp >= end) return null;
  const n = Number(all.toString('latin1', start + 5, sp));
  return Number.isInteger(n) && n >= 0 && n < LINES ? n : null;
}

/** One human line for a log check. */
export function describeCheck(c: LogCheck): string {
  const sizes = c.files.map((f) => `${f.name} ${f.size}${f.size === 0 ? ' (empty)' : f.endsWithNewline ? '' : ' (ends mid-line)'}`).join(', ');
  return `${c.files.length} files [${sizes}]; ${c.identical ? 'identical to the test file' : `NOT identical (${c.bytes} of ${TOTAL_BYTES} bytes)`}; lines whole ${c.whole}, cut across files ${c.cut}, lost ${c.lost}${c.bad > 0 ? `, not test lines ${c.bad}` : ''}`;
}
