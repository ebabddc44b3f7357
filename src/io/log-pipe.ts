// Feeds a child's output pipe into a LogWriter as whole lines, pausing the pipe when the writer is behind.
import type { Readable } from 'node:stream';
import type { LogWriter } from './log-writer.ts';
import { MAX_LINE_BYTES, PARTIAL_LINE_FLUSH_MS } from './line-prefixer.ts';

const NL = 0x0a;

/** Streams paused for each writer, resumed together when it drains. */
const paused = new WeakMap<LogWriter, Set<Readable>>();

/**
 * Copies `stream` into `writer` a chunk at a time: everything up to the chunk's last newline goes
 * out as is; the partial last line waits for its end (or a second of quiet, or the stream's end).
 */
export function pipeToLog(stream: Readable, writer: LogWriter): void {
  let pending: Buffer | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flushPartial = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending !== null) writer.push(pending);
    pending = null;
  };
  if (!paused.has(writer)) {
    const set = new Set<Readable>();
    paused.set(writer, set);
    writer.onDrain = () => {
      for (const s of set) s.resume();
      set.clear();
    };
  }
  const pause = (): void => {
    stream.pause();
    paused.get(writer)?.add(stream);
  };
  stream.on('data', (chunk: Buffer) => {
    let buf = chunk;
    if (pending !== null) {
      // Only the line that was cut is copied together; the rest of the chunk goes out as it came.
      const first = chunk.indexOf(NL);
      if (first < 0) {
        buf = Buffer.concat([pending, chunk]);
      } else {
        const joined = Buffer.concat([pending, chunk.subarray(0, first + 1)]);
        if (!writer.push(joined)) pause();
        buf = chunk.subarray(first + 1);
      }
      pending = null;
    }
    const last = buf.lastIndexOf(NL);
    let whole: Buffer | null = null;
    if (last >= 0) {
      whole = buf.subarray(0, last + 1);
      buf = buf.subarray(last + 1);
    }
    if (buf.length > MAX_LINE_BYTES) {
      whole = whole === null ? buf : Buffer.concat([whole, buf]);
      buf = buf.subarray(buf.length);
    }
    if (buf.length > 0) {
      pending = Buffer.from(buf);
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(flushPartial, PARTIAL_LINE_FLUSH_MS);
      timer.unref();
    } else if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (whole !== null && whole.length > 0 && !writer.push(whole)) pause();
  });
  writer.attach();
  let ended = false;
  const end = (): void => {
    flushPartial();
    if (!ended) writer.detach();
    ended = true;
  };
  stream.on('end', end);
  stream.on('error', end);
  stream.on('close', end);
}
