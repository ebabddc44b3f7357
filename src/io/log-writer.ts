// A vassal's log file: whole lines copied from its pipes, rotated exactly on line boundaries,
// written in place when the disk is fast, and never a reason for the vassal or the emperor to stall.
import { closeSync, fstatSync, ftruncateSync, mkdirSync, write, writev, writeSync, writevSync } from 'node:fs';
import { asWho, withRights, type FsRights } from './fs-rights.ts';
import { openLogFile } from './log-file-open.ts';
import { cutAtLine, shiftBackups } from './log-rotation.ts';
import { dirname } from 'node:path';
import { describeErrno, errnoOf } from '../core/errors.ts';

/** Bytes queued in memory before the pipes feeding the writer are paused (the vassal then waits). */
export const HIGH_WATER = 4 * 1024 * 1024;
/** A write slower than this moves the writer to the thread pool ... */
export const SLOW_WRITE_MS = 10;
/** ... for this long. */
export const ASYNC_FOR_MS = 10_000;
/** How often a failed log file is tried again. */
export const RETRY_MS = 1000;

/** What the writer reports to its owner. */
export interface LogWriterEvents {
  /** bytes dropped because the file could not be written (full disk, unwritable path); `first` once per outage. */
  dropped(bytes: number, reason: string, first: boolean): void;
  /** writing works again after an outage. */
  resumed(): void;
}

/** Rotation settings: `maxSize` 0 never rotates. */
export interface Rotation {
  maxSize: number;
  backups: number;
}

/**
 * Appends whole lines to PATH. Before a line would take the file past `maxSize`, the file turns
 * into PATH.1 (PATH.1 into PATH.2 ... up to `backups`) and a new PATH starts; a line longer than
 * `maxSize` is written whole. Work per chunk is one newline search from the end, except near the
 * rotation boundary. Writes go straight to the page cache from the caller's buffer (one writev per
 * push); after a slow one, they go through the thread pool for a while, batched: while one is in
 * flight, chunks are copied into a queue and go out together.
 */
export class LogWriter {
  private fd: number | null = null;
  private size = 0;
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private failing: string | null = null;
  private retryAt = 0;
  private closed = false;
  private regular = true;
  private asyncUntil = 0;
  /** something queued or waited for since the last settle: the next one has work to do. */
  private waiting = false;
  private readonly drainWaiters: Array<() => void> = [];
  /** whose rights open, create and rotate the file (a vassal's user); null: the emperor's own. */
  rights: FsRights | null = null;
  /** called when the queue falls below HIGH_WATER after having passed it (resume the pipes). */
  onDrain: (() => void) | null = null;
  private streams = 0;
  private idleWaiters: Array<() => void> = [];

  /** A stream starts feeding this writer. */
  attach(): void {
    this.streams++;
  }

  /** A stream that fed this writer ended. */
  detach(): void {
    this.streams = Math.max(0, this.streams - 1);
    if (this.streams === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once no stream feeds this writer any more. */
  idle(): Promise<void> {
    if (this.streams === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  constructor(
    readonly path: string,
    public rotation: Rotation,
    private readonly events: LogWriterEvents,
    private readonly open: (path: string, strict: boolean) => number = openLogFile,
  ) {}

  /**
   * Takes whole lines (the caller keeps a partial last line back), given as consecutive parts that
   * may be views of a buffer the caller reuses: they are written before this returns, or copied.
   * True while under the high-water mark.
   */
  push(...parts: Buffer[]): boolean {
    if (this.closed) return true;
    if (!this.writing && this.queue.length === 0 && performance.now() >= this.asyncUntil) {
      this.writeNow(parts);
      if (this.waiting) this.settle();
      return true;
    }
    const copy = parts.length === 1 ? Buffer.from(parts[0] as Buffer) : Buffer.concat(parts);
    if (copy.length === 0) return true;
    this.queue.push(copy);
    this.queued += copy.length;
    this.waiting = true;
    if (!this.writing) this.flush();
    return this.queued < HIGH_WATER;
  }

  // The common case: nothing queued, the disk fast. Writes every part in place (one writev per
  // file), rotating between two lines where the size says so; on failure, drops and counts.
  private writeNow(parts: Buffer[]): void {
    let rest = parts.filter((b) => b.length > 0);
    while (rest.length > 0) {
      if (!this.ensureOpen()) {
        this.events.dropped(total(rest), this.failing ?? 'log file unavailable', false);
        return;
      }
      const cut = this.cut(rest);
      if (cut.head.length === 0 || this.fd === null) return;
      const bytes = total(cut.head);
      const t0 = performance.now();
      let written = 0;
      let error: NodeJS.ErrnoException | null = null;
      try {
        written = cut.head.length === 1 ? writeSync(this.fd, cut.head[0] as Buffer, 0, bytes) : writevSync(this.fd, cut.head);
      } catch (err) {
        error = err as NodeJS.ErrnoException;
      }
      if (performance.now() - t0 > SLOW_WRITE_MS) this.asyncUntil = performance.now() + ASYNC_FOR_MS;
      if (error !== null || written < bytes) {
        this.fail(`cannot write ${this.path}: ${error === null ? 'short write' : describeErrno(error)}`, bytes - this.undoPartial(written) + total(cut.rest));
        return;
      }
      this.size += bytes;
      if (this.failing !== null) {
        this.failing = null;
        this.events.resumed();
      }
      rest = cut.rest;
      if (rest.length > 0 && !this.rotate()) {
        this.events.dropped(total(rest), this.failing ?? 'rotation failed', false);
        return;
      }
    }
  }

  /** Resolves once everything queued is written (or dropped). */
  drained(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    this.waiting = true;
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    await this.drained();
    this.closed = true;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private ensureOpen(): boolean {
    if (this.fd !== null) return true;
    const now = Date.now();
    if (this.failing !== null && now < this.retryAt) return false;
    try {
      this.fd = withRights(this.rights, () => {
        mkdirSync(dirname(this.path), { recursive: true });
        return this.open(this.path, this.rights !== null && this.rights.uid !== 0);
      });
      const st = fstatSync(this.fd);
      this.size = st.size;
      // Only a regular file is rotated: never /dev/stdout, a FIFO or a terminal.
      this.regular = st.isFile();
      return true;
    } catch (err) {
      // A vassal with `user` writes only where that user may: say how to give it a place.
      const hint = errnoOf(err) === 'EACCES' && asWho(this.rights) !== '' ? `; give ${this.rights?.name} a directory it can write (install -d -o ${this.rights?.name} DIR) and point the log there` : '';
      this.fail(`cannot open ${this.path}${asWho(this.rights)}: ${describeErrno(err)}${hint}`);
      return false;
    }
  }

  /**
   * After a short write (a full disk mid-batch), cuts the file back to where the batch began, so
   * no half line stays to be glued to a later one; returns the bytes that stay written (0, or all
   * of them where the file cannot be cut: not a regular file).
   */
  private undoPartial(written: number): number {
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

  private fail(reason: string, lost = 0): void {
    const first = this.failing === null;
    this.failing = reason;
    this.retryAt = Date.now() + RETRY_MS;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already unusable
      }
      this.fd = null;
    }
    const bytes = this.queued + lost;
    this.queue = [];
    this.queued = 0;
    this.events.dropped(bytes, reason, first);
  }

  // Takes everything queued, cut at rotation points, and writes it; loops until the queue is empty.
  private flush(): void {
    if (this.queue.length === 0) {
      this.settle();
      return;
    }
    if (!this.ensureOpen()) {
      const bytes = this.queued;
      this.queue = [];
      this.queued = 0;
      this.events.dropped(bytes, this.failing ?? 'log file unavailable', false);
      this.settle();
      return;
    }
    const batch = this.queue;
    this.queue = [];
    const { head, rest } = this.cut(batch);
    const bytes = head.reduce((n, b) => n + b.length, 0);
    if (head.length === 0 || this.fd === null) {
      this.queued = this.queue.reduce((n, b) => n + b.length, 0);
      this.settle();
      return;
    }
    this.queued -= bytes;
    if (rest.length > 0) {
      this.queue = [...rest, ...this.queue];
    }
    this.writing = true;
    const fd = this.fd as number;
    const done = (err: NodeJS.ErrnoException | null, written: number): void => {
      this.writing = false;
      if (err !== null || written < bytes) {
        this.fail(`cannot write ${this.path}: ${err === null ? 'short write' : describeErrno(err)}`, bytes - this.undoPartial(written));
        this.settle();
        return;
      }
      this.size += bytes;
      if (this.failing !== null) {
        this.failing = null;
        this.events.resumed();
      }
      if (rest.length > 0) this.rotate();
      this.flush();
    };
    // A write into the page cache takes microseconds: done in place it saves the thread-pool hop
    // (measured: 0.16 s of system time per 200 MB instead of 0.27 s). A write that stalls (a slow
    // disk, dirty-page throttling) sends the next ones to the thread pool for a while, so the
    // event loop never waits on the disk for long.
    const now = performance.now();
    if (now >= this.asyncUntil) {
      let written = 0;
      let error: NodeJS.ErrnoException | null = null;
      try {
        written = head.length === 1 ? writeSync(fd, head[0] as Buffer, 0, bytes) : writevSync(fd, head);
      } catch (err) {
        error = err as NodeJS.ErrnoException;
      }
      if (performance.now() - now > SLOW_WRITE_MS) this.asyncUntil = performance.now() + ASYNC_FOR_MS;
      done(error, written);
      return;
    }
    if (head.length === 1) write(fd, head[0] as Buffer, 0, bytes, null, done);
    else writev(fd, head, null, done);
  }

  // Splits queued buffers at the last line that still fits the current file; the rest waits for the rotation.
  private cut(batch: Buffer[]): { head: Buffer[]; rest: Buffer[] } {
    const max = this.rotation.maxSize;
    if (max <= 0 || !this.regular) return { head: batch, rest: [] };
    const { head, rest, rotateFirst } = cutAtLine(batch, this.size, max);
    if (!rotateFirst) return { head, rest };
    // Nothing fits: rotate first (the writes before it are done); a failed rotation drops the rest.
    if (!this.rotate()) {
      this.events.dropped(total(rest), this.failing ?? 'rotation failed', false);
      return { head: [], rest: [] };
    }
    return this.cut(rest);
  }

  /** PATH.N-1 -> PATH.N ... PATH -> PATH.1, then a new, empty PATH; false when that failed. */
  private rotate(): boolean {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    const { backups } = this.rotation;
    try {
      withRights(this.rights, () => shiftBackups(this.path, backups));
    } catch (err) {
      this.fail(`cannot rotate ${this.path}${asWho(this.rights)}: ${describeErrno(err)}`);
      return false;
    }
    this.size = 0;
    return this.ensureOpen();
  }

  private settle(): void {
    if (this.writing || this.queue.length > 0) return;
    this.waiting = false;
    if (this.onDrain !== null) this.onDrain();
    for (const w of this.drainWaiters.splice(0)) w();
  }
}

function total(bufs: readonly Buffer[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}
