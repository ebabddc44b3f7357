// `emperorctl logs` on files: the last N lines, and following across rotation (the file replaced or truncated).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

const CHUNK = 64 * 1024;

/** The last n lines of a file before byte `end` (its size by default), reading backwards only as much as needed. */
export function lastLines(path: string, n: number, end?: number): string[] {
  if (n <= 0) return [];
  const fd = openSync(path, 'r');
  try {
    let pos = Math.min(end ?? Infinity, fstatSync(fd).size);
    let text = '';
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      text = buf.toString('utf8') + text;
      if (text.split('\n').length > n + 1) break;
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Follows a file from byte `from` (its current end by default). The open descriptor is drained before a rotated file
 * (a new inode at the path) is opened from its top, so no line written before rotation is missed.
 */
export function followFile(path: string, onText: (text: string) => void, from?: number, everyMs = 200): () => void {
  let fd: number | null = null;
  let offset = 0;
  const open = (fromEnd: boolean): void => {
    try {
      fd = openSync(path, 'r');
      offset = fromEnd ? (from ?? fstatSync(fd).size) : 0;
    } catch {
      fd = null;
    }
  };
  const drain = (): void => {
    if (fd === null) return;
    const buf = Buffer.alloc(CHUNK);
    for (;;) {
      const got = readSync(fd, buf, 0, CHUNK, offset);
      if (got <= 0) break;
      offset += got;
      onText(buf.subarray(0, got).toString('utf8'));
    }
  };
  open(true);
  const tick = (): void => {
    drain();
    let st;
    try {
      st = statSync(path);
    } catch {
      return; // between rotation's rename and the new file
    }
    if (fd === null) {
      open(false);
    } else if (st.ino !== fstatSync(fd).ino) {
      closeSync(fd);
      open(false);
    } else if (st.size < offset) {
      offset = 0; // truncated in place
    }
    drain();
  };
  const timer = setInterval(tick, everyMs);
  return () => {
    clearInterval(timer);
    if (fd !== null) closeSync(fd);
  };
}
