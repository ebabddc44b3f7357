// The file under a log writer: opened when needed with a vassal's rights, its size followed for
// rotation, rotated by renames, cut back after a short write, closed on a failure and tried again later.
import { closeSync, fstatSync, ftruncateSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { asWho, withRights, type FsRights } from './fs-rights.ts';
import { shiftBackups } from './log-rotation.ts';
import { describeErrno, errnoOf } from '../core/errors.ts';

/** How often a failed log file is tried again. */
export const RETRY_MS = 1000;

/** Opens PATH for appending (`strict`: regular files and /dev/null only); a test may stand in. */
export type OpenLog = (path: string, strict: boolean) => number;

/** Why the file cannot be written now; `fresh` when the failure is new and the writer must report it. */
export interface FileProblem {
  fresh: boolean;
  reason: string;
}

/** One log file's descriptor and state; the writer decides what to write and reports what is lost. */
export class LogFile {
  fd: number | null = null;
  /** bytes in the current file, for rotation. */
  size = 0;
  /** Only a regular file is rotated: never /dev/stdout, a FIFO or a terminal. */
  regular = true;
  /** why writing fails (until it works again), or null. */
  failing: string | null = null;
  private retryAt = 0;
  /** whose rights open, create and rotate the file (a vassal's user); null: the emperor's own. */
  rights: FsRights | null = null;

  constructor(
    readonly path: string,
    private readonly open: OpenLog,
  ) {}

  /** Opens the file unless it is open; null when it is, else the problem (not retried before RETRY_MS). */
  ensureOpen(): FileProblem | null {
    if (this.fd !== null) return null;
    if (this.failing !== null && Date.now() < this.retryAt) return { fresh: false, reason: this.failing };
    try {
      this.fd = withRights(this.rights, () => {
        mkdirSync(dirname(this.path), { recursive: true });
        return this.open(this.path, this.rights !== null && this.rights.uid !== 0);
      });
      const st = fstatSync(this.fd);
      this.size = st.size;
      this.regular = st.isFile();
      return null;
    } catch (err) {
      // A vassal with `user` writes only where that user may: say how to give it a place.
      const hint = errnoOf(err) === 'EACCES' && asWho(this.rights) !== '' ? `; give ${this.rights?.name} a directory it can write (install -d -o ${this.rights?.name} DIR) and point the log there` : '';
      return { fresh: true, reason: `cannot open ${this.path}${asWho(this.rights)}: ${describeErrno(err)}${hint}` };
    }
  }

  /** PATH.N-1 -> PATH.N ... PATH -> PATH.1, then a new, empty PATH; null, or the problem. */
  rotate(backups: number): FileProblem | null {
    this.close();
    try {
      withRights(this.rights, () => shiftBackups(this.path, backups));
    } catch (err) {
      return { fresh: true, reason: `cannot rotate ${this.path}${asWho(this.rights)}: ${describeErrno(err)}` };
    }
    this.size = 0;
    return this.ensureOpen();
  }

  /** Bytes written: counted for rotation; true when this ends an outage. */
  wrote(bytes: number): boolean {
    this.size += bytes;
    if (this.failing === null) return false;
    this.failing = null;
    return true;
  }

  /** Writing failed: closes the file, to be tried again in RETRY_MS; true for the first failure of an outage. */
  failed(reason: string): boolean {
    const first = this.failing === null;
    this.failing = reason;
    this.retryAt = Date.now() + RETRY_MS;
    try {
      this.close();
    } catch {
      // already unusable
    }
    return first;
  }

  /**
   * After a short write (a full disk mid-batch), cuts the file back to where the batch began, so
   * no half line stays to be glued to a later one; returns the bytes that stay written (0, or all
   * of them where the file cannot be cut: not a regular file).
   */
  cutBack(written: number): number {
    if (written <= 0) return 0;
    if (this.fd === null || !this.regular) return written;
    try {
      // From the file's real end (O_APPEND): another writer or a copytruncate may have moved it.
      ftruncateSync(this.fd, Math.max(0, fstatSync(this.fd).size - written));
      return 0;
    } catch {
      return written;
    }
  }

  /** Closes the descriptor, if open. */
  close(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) closeSync(fd);
  }
}
