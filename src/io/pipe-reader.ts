// The emperor's end of a native output pipe: read by the helper's ONE epoll reader (native/pipe-reader.c)
// into the shared read buffer. Per pipe, a small record here instead of a net.Socket, its libuv handle and
// its C++ stream wrap: most children never write, and each of them has two of these.
import type { NativeHelper } from './native.ts';
import { readBuffer, type ChunkSink, type ReadEnd } from './output-pair.ts';

/** The helper's side of the reader: native/pipe-reader.c. */
export interface PipeReaderHelper {
  /** makes the one reader: each read calls back (fd, n) with n bytes in `buffer` (0: the pipe ended, its fd closed); false pauses the pipe. 0, or -errno. */
  pipeReader(buffer: Buffer, onRead: (fd: number, n: number) => boolean): number;
  /** reads `fd` from now on (non-blocking); 0, or -errno. */
  pipeWatch(fd: number): number;
  pipePause(fd: number): number;
  pipeResume(fd: number): number;
  /** stops watching (when watched) and closes `fd`; no callback. 0, or -errno. */
  pipeClose(fd: number): number;
}

// The open ends by descriptor (a descriptor is one end's until the end is closed).
const ends: Array<PipeEnd | undefined> = [];
let reader: PipeReaderHelper | null | undefined;

// A class for its size: one small object per pipe, its methods shared (closures would be per pipe). Its
// helper is the one reader (a field each was 8 bytes a pipe); `life`: open, closed (destroyed, its end not
// heard yet), ended (its listeners were called).
class PipeEnd implements ReadEnd {
  private sink: ChunkSink | null = null;
  private listeners: Array<() => void> | null = null;
  private paused = false;
  private life: 'open' | 'closed' | 'ended' = 'open';

  constructor(readonly fd: number) {}

  private get helper(): PipeReaderHelper {
    return reader as PipeReaderHelper;
  }

  private get open(): boolean {
    return this.life === 'open';
  }

  setSink(sink: ChunkSink): void {
    const first = this.sink === null;
    this.sink = sink;
    if (!first || !this.open) return;
    const rc = this.helper.pipeWatch(this.fd);
    // Not watched (out of memory, or past max_user_watches): the pipe closes, its child sees EPIPE.
    if (rc !== 0) return this.destroy();
    if (this.paused) this.helper.pipePause(this.fd);
  }

  pause(): void {
    this.paused = true;
    if (this.open && this.sink !== null) this.helper.pipePause(this.fd);
  }

  resume(): void {
    this.paused = false;
    if (this.open && this.sink !== null) this.helper.pipeResume(this.fd);
  }

  onEnd(fn: () => void): void {
    if (this.life === 'ended') return queueMicrotask(fn);
    // Concatenated, not pushed: a pushed array keeps room for 17 (152 bytes), and an end has one or two listeners.
    this.listeners = this.listeners === null ? [fn] : this.listeners.concat([fn]);
  }

  destroy(): void {
    if (!this.open) return;
    this.life = 'closed';
    if (ends[this.fd] === this) ends[this.fd] = undefined;
    this.helper.pipeClose(this.fd);
    // Heard a moment later, as a socket's 'close' is.
    queueMicrotask(() => this.ended());
  }

  /** A read of `n` bytes into the shared buffer: the sink's answer (false pauses the pipe). */
  deliver(n: number): boolean {
    const keep = (this.sink as ChunkSink)(readBuffer(), n);
    if (!keep) this.paused = true;
    return keep;
  }

  /** The pipe is closed: by the reader (an EOF) or by `destroy`. */
  ended(): void {
    if (ends[this.fd] === this) ends[this.fd] = undefined;
    if (this.life === 'ended') return;
    this.life = 'ended';
    const listeners = this.listeners ?? [];
    this.listeners = null;
    for (const fn of listeners) fn();
  }
}

// Every read of every pipe: to its end, or its end's close.
function onRead(fd: number, n: number): boolean {
  const end = ends[fd];
  if (end === undefined) return false;
  if (n > 0) return end.deliver(n);
  end.ended();
  return false;
}

/** The helper's reader, made on first use; null when the helper has none (built before it) or it cannot be made. */
function pipeReader(helper: NativeHelper & Partial<PipeReaderHelper>): PipeReaderHelper | null {
  if (reader !== undefined) return reader;
  const { pipeReader: make, pipeWatch, pipePause, pipeResume, pipeClose } = helper;
  if (make === undefined || pipeWatch === undefined || pipePause === undefined || pipeResume === undefined || pipeClose === undefined) return (reader = null);
  const made: PipeReaderHelper = { pipeReader: make, pipeWatch, pipePause, pipeResume, pipeClose };
  reader = make.call(helper, readBuffer(), onRead) === 0 ? made : null;
  return reader;
}

/**
 * The read end over `fd` (a pipe's or a socket's, owned from now on), read by the helper's one reader;
 * null when the helper has no reader (the caller wraps `fd` in a net.Socket instead).
 */
export function nativeReadEnd(helper: NativeHelper, fd: number): ReadEnd | null {
  if (pipeReader(helper) === null) return null;
  const end = new PipeEnd(fd);
  ends[fd] = end;
  return end;
}
