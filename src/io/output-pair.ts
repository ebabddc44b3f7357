// A child's output channel as the emperor sees it: the pair's shape, the one read buffer every reader
// shares, and the two pieces both kinds of pair are built from (a sink slot, the pair object).
import type { Socket } from 'node:net';

/**
 * Size of the one buffer every piped read lands in: a read takes whatever the pipe holds, up to this
 * (a full 1 MiB pipe in one read; its pages are resident only once a read has been that big).
 */
export const READ_BUFFER_BYTES = 1024 * 1024;

/**
 * Takes each chunk read by the emperor's end: `len` bytes at the start of `buf`, a buffer that is
 * reused by the next read (so copy what you keep). Return false to stop reading until `resume()`.
 */
export type ChunkSink = (buf: Buffer, len: number) => boolean;

/**
 * The emperor's end of a child's output: chunks go to one sink, reading pauses and resumes, and it ends
 * once. A native pipe (pipe-reader.ts) or a net.Socket / stream (the fallbacks) under the same shape.
 */
export interface ReadEnd {
  /** where chunks go from now on (a native pipe is read only from its first sink on). */
  setSink(sink: ChunkSink): void;
  /** stops reading until `resume()`. */
  pause(): void;
  /** reading starts again after a pause or a sink that returned false. */
  resume(): void;
  /** `fn` runs once, after the last chunk: every copy of the child's end closed, an error, or `destroy()`. */
  onEnd(fn: () => void): void;
  /** closes the end (the reads stop; `onEnd` listeners run). */
  destroy(): void;
}

/**
 * A child's output channel: a pipe (native helper) or a connected pair of Unix stream sockets (without
 * it); one end for the child, one the emperor reads.
 */
export interface OutputPair extends ReadEnd {
  /** the child's end as a descriptor: give it to the child as stdout or stderr, then `closeChildEnd()` (the child holds a copy). */
  readonly childEnd: number;
  /** bytes the child can write before it waits for a read: a pipe's size, 0 when not known (a socket). */
  readonly holds: number;
  /** resizes the pipe (a native pipe only): `holds` afterwards; unchanged when the system refused. */
  readonly resize?: (bytes: number) => number;
  closeChildEnd(): void;
  /** closes both ends (a spawn that did not happen). */
  destroy(): void;
}

/** One buffer for every reader: a read and its callback run back to back on the main thread, and
// every sink consumes or copies the bytes before it returns. */
let shared: Buffer | null = null;
export const readBuffer = (): Buffer => (shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES));

/** Where reads go: held (copied) until a sink is set, then straight to it. */
export function sinkSlot(): { deliver: ChunkSink; setSink: (s: ChunkSink) => void } {
  let sink: ChunkSink | null = null;
  let held: Buffer[] = [];
  return {
    deliver: (buf, n) => {
      if (sink !== null) return sink(buf, n);
      held.push(Buffer.from(buf.subarray(0, n)));
      return true;
    },
    setSink: (s) => {
      sink = s;
      const early = held;
      held = [];
      for (const b of early) s(b, b.length);
    },
  };
}

/** A net.Socket read through `onread` (its chunks go to `slot`) as a read end. */
export function socketEnd(reader: Socket, setSink: (s: ChunkSink) => void): ReadEnd {
  // A reset from the child's side ends the reader like an EOF does ('close' follows).
  reader.on('error', () => {});
  return {
    setSink,
    pause: () => void reader.pause(),
    resume: () => void reader.resume(),
    onEnd: (fn) => void reader.once('close', fn),
    destroy: () => void reader.destroy(),
  };
}

/** The pair object over its reader and the child's end; `resize` (a pipe's F_SETPIPE_SZ) answers the new size or -errno. */
export function pairOf(reader: ReadEnd, childEnd: number, closeChildOnce: () => void, holds: number, resize?: (bytes: number) => number): OutputPair {
  // Closed once: a second close could hit a descriptor reused since.
  let childOpen = true;
  const closeChild = (): void => {
    if (childOpen) closeChildOnce();
    childOpen = false;
  };
  const pair = {
    childEnd,
    holds,
    resize:
      resize === undefined
        ? undefined
        : (bytes: number): number => {
            const size = resize(bytes);
            if (size > 0) pair.holds = size;
            return pair.holds;
          },
    setSink: (s: ChunkSink) => reader.setSink(s),
    pause: () => reader.pause(),
    resume: () => reader.resume(),
    onEnd: (fn: () => void) => reader.onEnd(fn),
    closeChildEnd: closeChild,
    destroy: () => {
      closeChild();
      reader.destroy();
    },
  };
  return pair;
}

/** The descriptor under a net.Socket: Node keeps it on the socket's handle (a Pipe), with no public getter. */
export function fdOf(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } | null })._handle;
  return handle?.fd ?? -1;
}
