// Reading a small file a vassal names without trusting the path: one descriptor, opened
// non-blocking (a FIFO in its place never hangs the emperor), a regular file only, and at most
// `maxBytes` read (a path naming /dev/zero never fills memory).
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** What to insist on besides a regular file. */
export interface ReadChecks {
  /** refuse a symlink as the last component (O_NOFOLLOW). */
  noFollow?: boolean;
  /** the file must still be this one (an lstat taken before): else an EAGAIN error. */
  same?: { ino: number; dev: number };
}

/** The file's stat and up to `maxBytes` of it; throws the open's error, or `not a regular file` (no code). */
export function readRegularFile(path: string, maxBytes: number, checks: ReadChecks = {}): { stat: Stats; bytes: Buffer } {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (checks.noFollow === true ? constants.O_NOFOLLOW : 0);
  const fd = openSync(path, flags);
  try {
    const stat = fstatSync(fd);
    if (checks.same !== undefined && (stat.ino !== checks.same.ino || stat.dev !== checks.same.dev)) {
      throw Object.assign(new Error(`${path} changed while it was read`), { code: 'EAGAIN' });
    }
    if (!stat.isFile()) throw new Error('not a regular file');
    const buf = Buffer.alloc(Math.min(maxBytes, stat.size + 1));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    return { stat, bytes: buf.subarray(0, got) };
  } finally {
    closeSync(fd);
  }
}
