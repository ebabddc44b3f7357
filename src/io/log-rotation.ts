// Log rotation: where a batch of lines is cut so a file stays under its size, and the renames that rotate it.
import { renameSync, rmSync } from 'node:fs';
import { errnoOf } from '../core/errors.ts';

const NL = 0x0a;

/** A batch cut at a line boundary: `head` fits the current file, `rest` waits for the rotation. */
export interface LineCut {
  head: Buffer[];
  rest: Buffer[];
  /** nothing fits the current file: rotate before writing any of it. */
  rotateFirst: boolean;
}

/**
 * Cuts `batch` (whole lines) after the last line that keeps a file of `size` bytes within `maxSize`.
 * A fresh file takes a first line longer than `maxSize` whole.
 */
export function cutAtLine(batch: readonly Buffer[], size: number, maxSize: number): LineCut {
  let room = maxSize - size;
  const head: Buffer[] = [];
  for (let i = 0; i < batch.length; i++) {
    const buf = batch[i] as Buffer;
    if (buf.length <= room) {
      head.push(buf);
      room -= buf.length;
      continue;
    }
    // This buffer crosses the boundary: keep the lines that fit, rotate before the next one.
    const end = room > 0 ? buf.lastIndexOf(NL, room - 1) + 1 : 0;
    if (end > 0) {
      head.push(buf.subarray(0, end));
      return { head, rest: nonEmpty([buf.subarray(end), ...batch.slice(i + 1)]), rotateFirst: false };
    }
    // No line ends within the room here: the cut goes back to the last newline of the parts before,
    // since a line may span parts (a partial line kept from the last read, then the rest of it).
    for (let j = head.length - 1; j >= 0; j--) {
      const part = head[j] as Buffer;
      const nl = part.lastIndexOf(NL);
      if (nl < 0) continue;
      return { head: [...head.slice(0, j), part.subarray(0, nl + 1)], rest: nonEmpty([part.subarray(nl + 1), ...head.slice(j + 1), ...batch.slice(i)]), rotateFirst: false };
    }
    if (size === 0) {
      // A fresh file and a first line longer than the limit: it goes in whole (across the parts it spans).
      const first = buf.indexOf(NL) + 1 || buf.length;
      return { head: [...head, buf.subarray(0, first)], rest: nonEmpty([buf.subarray(first), ...batch.slice(i + 1)]), rotateFirst: false };
    }
    return { head: [], rest: nonEmpty([...head, ...batch.slice(i)]), rotateFirst: true };
  }
  return { head, rest: [], rotateFirst: false };
}

function nonEmpty(parts: Buffer[]): Buffer[] {
  return parts.filter((b) => b.length > 0);
}

/** PATH.N-1 -> PATH.N ... PATH -> PATH.1 (`backups` 0: PATH is removed); PATH is then free for a new file. */
export function shiftBackups(path: string, backups: number): void {
  if (backups <= 0) rmSync(path, { force: true });
  else {
    for (let n = backups - 1; n >= 1; n--) renameQuiet(`${path}.${n}`, `${path}.${n + 1}`);
    renameQuiet(path, `${path}.1`);
  }
}

function renameQuiet(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}
