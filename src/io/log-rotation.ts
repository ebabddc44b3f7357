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
    let end = room > 0 ? buf.lastIndexOf(NL, room - 1) + 1 : 0;
    if (end === 0 && head.length === 0 && size === 0) {
      // A fresh file and a first line longer than the limit: it goes in whole.
      end = buf.indexOf(NL) + 1 || buf.length;
    }
    if (end > 0) head.push(buf.subarray(0, end));
    const rest = [buf.subarray(end), ...batch.slice(i + 1)].filter((b) => b.length > 0);
    return { head, rest, rotateFirst: head.length === 0 };
  }
  return { head, rest: [], rotateFirst: false };
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
