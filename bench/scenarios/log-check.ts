// Checks a rotated log made of identical 100-byte lines: every line whole and exact, and how it was rotated.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** The line every writer writes (99 bytes + newline). */
export const LINE = 'emperor-bench '.padEnd(99, '0123456789');

/** What the log files hold. */
export interface LogCheck {
  files: number;
  bytes: number;
  /** the concatenation is exactly LINE\n repeated bytes/100 times */
  exact: boolean;
  /** files that do not end on a line boundary (a line cut across two files) */
  cutLines: number;
  largestFile: number;
  filesOverMax: number;
}

const UNIT = `${LINE}\n`;
const PATTERN = Buffer.from(UNIT.repeat(Math.ceil((1 << 20) / UNIT.length) + 2));

/** Reads the files (oldest first) and compares them with the expected stream. */
export function checkLog(files: readonly string[], expectedBytes: number, maxBytes: number): LogCheck {
  const buf = Buffer.alloc(1 << 20);
  let offset = 0;
  let same = true;
  let cut = 0;
  let largest = 0;
  let over = 0;
  for (const f of files) {
    const size = statSync(f).size;
    largest = Math.max(largest, size);
    if (size > maxBytes) over++;
    const fd = openSync(f, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        const at = offset % UNIT.length;
        if (same && buf.compare(PATTERN, at, at + n, 0, n) !== 0) same = false;
        offset += n;
      }
    } finally {
      closeSync(fd);
    }
    if (offset % UNIT.length !== 0) cut++;
  }
  return { files: files.length, bytes: offset, exact: same && offset === expectedBytes, cutLines: cut, largestFile: largest, filesOverMax: over };
}
