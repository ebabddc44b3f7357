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
 * A child's output channel: a pipe (native helper) or a connected pair of Unix stream sockets (without
 * it); one end for the child, one the emperor reads.
 */
export interface OutputPair {
  /** give it to the child as stdout or stderr, then `closeChildEnd()` (the child holds a copy). */
  readonly childEnd: Socket;
  /** the emperor's end; 'close' once every copy of the child end is closed and the data is read. */
  readonly reader: Socket;
  /** bytes the child can write before it waits for a read: a pipe's size, 0 when not known (a socket). */
  readonly holds: number;
  /** resizes the pipe (a native pipe only): `holds` afterwards; unchanged when the system refused. */
  readonly resize?: (bytes: number) => number;
  /** where chunks go from now on. */
  setSink(sink: ChunkSink): void;
  /** reading starts again after the sink returned false. */
  resume(): void;
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

/** The pair object over its two sockets; `resize` (a pipe's F_SETPIPE_SZ) answers the new size or -errno. */
export function pairOf(reader: Socket, childEnd: Socket, setSink: (s: ChunkSink) => void, holds: number, resize?: (bytes: number) => number): OutputPair {
  // A reset from the child's side ends the reader like an EOF does ('close' follows).
  reader.on('error', () => {});
  const pair = {
    childEnd,
    reader,
    holds,
    resize:
      resize === undefined
        ? undefined
        : (bytes: number): number => {
            const size = resize(bytes);
            if (size > 0) pair.holds = size;
            return pair.holds;
          },
    setSink,
    resume: () => reader.resume(),
    closeChildEnd: () => childEnd.destroy(),
    destroy: () => {
      childEnd.destroy();
      reader.destroy();
    },
  };
  return pair;
}
