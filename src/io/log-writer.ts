// A vassal's log file: whole lines copied from its pipes, rotated exactly on line boundaries,
// written in place when the disk is fast, and never a reason for the vassal or the emperor to stall.
import { write, writev } from 'node:fs';
import { CopyArenas } from './copy-arenas.ts';
import type { FsRights } from './fs-rights.ts';
import { LogAppender, total, type LogWriterEvents, type Rotation } from './log-append.ts';
import { LogFile, type OpenLog } from './log-file.ts';
import { openLogFile } from './log-file-open.ts';

export type { LogWriterEvents, Rotation } from './log-append.ts';

/** Bytes queued in memory before the pipes feeding the writer are paused (the vassal then waits). */
export const HIGH_WATER = 4 * 1024 * 1024;

/**
 * Appends whole lines to PATH. Before a line would take the file past `maxSize`, the file turns
 * into PATH.1 (PATH.1 into PATH.2 ... up to `backups`) and a new PATH starts; a line longer than
 * `maxSize` is written whole. Work per chunk is one newline search from the end, except near the
 * rotation boundary. Writes go straight to the page cache from the caller's buffer (one writev per
 * push); while the disk is slow (write-pace), through the thread pool, batched: while one is in
 * flight, chunks are copied into a queue and go out together.
 */
export class LogWriter {
  private readonly out: LogAppender;
  private queue: Buffer[] = [];
  private queued = 0;
  private readonly arenas = new CopyArenas();
  private writing = false;
  private closed = false;
  /** something queued or waited for since the last settle: the next one has work to do. */
  private waiting = false;
  private readonly drainWaiters: Array<() => void> = [];
  /** called when the queue falls below HIGH_WATER after having passed it (resume the pipes). */
  onDrain: (() => void) | null = null;
  private streams = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly path: string,
    rotation: Rotation,
    events: LogWriterEvents,
    open: OpenLog = openLogFile,
  ) {
    this.out = new LogAppender(new LogFile(path, open), rotation, events, () => this.takeQueued());
  }

  /** Rotation settings, changed by a reload. */
  get rotation(): Rotation {
    return this.out.rotation;
  }

  set rotation(rotation: Rotation) {
    this.out.rotation = rotation;
  }

  /** whose rights open, create and rotate the file (a vassal's user); null: the emperor's own. */
  get rights(): FsRights | null {
    return this.out.file.rights;
  }

  set rights(rights: FsRights | null) {
    this.out.file.rights = rights;
  }

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

  /**
   * Takes whole lines (the caller keeps a partial last line back), given as consecutive parts that
   * may be views of a buffer the caller reuses: they are written before this returns, or copied.
   * True while under the high-water mark.
   */
  push(...parts: Buffer[]): boolean {
    if (this.closed) return true;
    if (!this.writing && this.queue.length === 0 && this.out.inPlace()) {
      this.arenas.reset(false);
      this.out.append(parts);
      if (this.waiting) this.settle();
      return true;
    }
    const bytes = total(parts);
    if (bytes === 0) return true;
    this.queue.push(this.arenas.copy(parts, bytes));
    this.queued += bytes;
    this.waiting = true;
    if (!this.writing) this.flush();
    return this.queued < HIGH_WATER;
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
    this.arenas.reset(false);
    this.out.file.close();
  }

  // Empties the queue (a failure drops it); its bytes.
  private takeQueued(): number {
    const bytes = this.queued;
    this.queue = [];
    this.queued = 0;
    return bytes;
  }

  // Takes everything queued, cut at rotation points, and writes it; loops until the queue is empty.
  private flush(): void {
    if (this.queue.length === 0) {
      this.settle();
      return;
    }
    if (!this.out.open()) {
      this.out.drop(this.takeQueued(), 'log file unavailable');
      this.settle();
      return;
    }
    const batch = this.queue;
    this.queue = [];
    this.arenas.swap();
    const { head, rest } = this.out.cut(batch);
    const bytes = total(head);
    const fd = this.out.file.fd;
    if (head.length === 0 || fd === null) {
      this.queued = total(this.queue);
      this.settle();
      return;
    }
    this.queued -= bytes;
    // What waits for the rotation leaves its buffer (the next copies go there): copied out (rare).
    if (rest.length > 0) this.queue = [...rest.map((b) => Buffer.from(b)), ...this.queue];
    this.writing = true;
    const done = (err: NodeJS.ErrnoException | null, written: number): void => {
      this.writing = false;
      if (!this.out.settled(bytes, written, err)) {
        this.settle();
        return;
      }
      if (rest.length > 0) this.out.rotate();
      this.flush();
    };
    // In place while the disk is fast (it saves the thread-pool hop: 0.16 s of system time per
    // 200 MB instead of 0.27 s); through the thread pool while it is slow.
    if (this.out.inPlace()) {
      const { written, error } = this.out.writeInPlace(fd, head, bytes);
      done(error, written);
      return;
    }
    if (head.length === 1) write(fd, head[0] as Buffer, 0, bytes, null, done);
    else writev(fd, head, null, done);
  }

  private settle(): void {
    if (this.writing || this.queue.length > 0) return;
    this.arenas.reset(!this.out.inPlace());
    this.waiting = false;
    if (this.onDrain !== null) this.onDrain();
    for (const w of this.drainWaiters.splice(0)) w();
  }
}
