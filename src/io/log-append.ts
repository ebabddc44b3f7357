// Writing whole lines at the end of a log file: cut at the rotation point, rotated between two lines,
// timed for the write pace, and on failure the bytes dropped and counted (never thrown).
import { writeSync, writevSync } from 'node:fs';
import type { LogFile, FileProblem } from './log-file.ts';
import { cutAtLine } from './log-rotation.ts';
import { afterWrite, STEADY, writesInPlace, type WritePace } from './write-pace.ts';
import { describeErrno } from '../core/errors.ts';

/** What a log writer reports to its owner. */
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

/** The result of one write: bytes written, or the error. */
export interface Written {
  written: number;
  error: NodeJS.ErrnoException | null;
}

/**
 * A log writer's file side. `takeQueued` empties the writer's queue and returns its bytes: a
 * failure drops them with the bytes it lost itself.
 */
export class LogAppender {
  pace: WritePace = STEADY;

  constructor(
    readonly file: LogFile,
    public rotation: Rotation,
    private readonly events: LogWriterEvents,
    private readonly takeQueued: () => number,
  ) {}

  /** Whether a write now goes in place (else through the thread pool). */
  inPlace(): boolean {
    return writesInPlace(this.pace, performance.now());
  }

  /**
   * Writes every part in place (one writev per file), rotating between two lines where the size
   * says so; on failure, drops and counts. Parts may be views of a reused buffer: done on return.
   */
  append(parts: Buffer[]): void {
    let rest = parts.length === 1 && (parts[0] as Buffer).length > 0 ? parts : parts.filter((b) => b.length > 0);
    while (rest.length > 0) {
      if (!this.open()) {
        this.drop(total(rest), 'log file unavailable');
        return;
      }
      const cut = this.cut(rest);
      const fd = this.file.fd;
      if (cut.head.length === 0 || fd === null) return;
      const bytes = total(cut.head);
      const { written, error } = this.writeInPlace(fd, cut.head, bytes);
      if (!this.settled(bytes, written, error, total(cut.rest))) return;
      rest = cut.rest;
      if (rest.length > 0 && !this.rotate()) {
        this.drop(total(rest), 'rotation failed');
        return;
      }
    }
  }

  /** One write into the page cache, timed for the pace. */
  writeInPlace(fd: number, head: Buffer[], bytes: number): Written {
    const t0 = performance.now();
    let written = 0;
    let error: NodeJS.ErrnoException | null = null;
    try {
      written = head.length === 1 ? writeSync(fd, head[0] as Buffer, 0, bytes) : writevSync(fd, head);
    } catch (err) {
      error = err as NodeJS.ErrnoException;
    }
    const t1 = performance.now();
    this.pace = afterWrite(this.pace, t1 - t0, t1);
    return { written, error };
  }

  /**
   * Accounts for a write of `bytes`: true when it all went out; else the file is cut back to a
   * line boundary and the batch (with `alsoLost` bytes that were to follow) dropped.
   */
  settled(bytes: number, written: number, error: NodeJS.ErrnoException | null, alsoLost = 0): boolean {
    if (error !== null || written < bytes) {
      this.fail(`cannot write ${this.file.path}: ${error === null ? 'short write' : describeErrno(error)}`, bytes - this.file.cutBack(written) + alsoLost);
      return false;
    }
    if (this.file.wrote(bytes)) this.events.resumed();
    return true;
  }

  /** The file is open (opened now if it can be); false when not, the failure reported. */
  open(): boolean {
    const problem = this.file.ensureOpen();
    if (problem === null) return true;
    this.report(problem);
    return false;
  }

  /** Splits buffers at the last line that still fits the current file; the rest waits for the rotation. */
  cut(batch: Buffer[]): { head: Buffer[]; rest: Buffer[] } {
    const max = this.rotation.maxSize;
    if (max <= 0 || !this.file.regular) return { head: batch, rest: [] };
    const { head, rest, rotateFirst } = cutAtLine(batch, this.file.size, max);
    if (!rotateFirst) return { head, rest };
    // Nothing fits: rotate first (the writes before it are done); a failed rotation drops the rest.
    if (!this.rotate()) {
      this.drop(total(rest), 'rotation failed');
      return { head: [], rest: [] };
    }
    return this.cut(rest);
  }

  /** Rotates the file; false when that failed (reported). */
  rotate(): boolean {
    const problem = this.file.rotate(this.rotation.backups);
    if (problem === null) return true;
    this.report(problem);
    return false;
  }

  /** Writing failed: the file is closed for a while, what is queued dropped with `lost`, and said once per outage. */
  fail(reason: string, lost = 0): void {
    const first = this.file.failed(reason);
    this.events.dropped(this.takeQueued() + lost, reason, first);
  }

  /** Bytes that could not be written during an outage already reported (`fallback`: the reason if none is known). */
  drop(bytes: number, fallback: string): void {
    this.events.dropped(bytes, this.file.failing ?? fallback, false);
  }

  // A fresh problem fails the writer; one already reported waits for its retry time.
  private report(problem: FileProblem): void {
    if (problem.fresh) this.fail(problem.reason);
  }
}

/** Bytes in a list of buffers. */
export function total(bufs: readonly Buffer[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}
