// Feeds a child's output pipe into a LogWriter as whole lines, pausing the pipe when the writer is behind.
import type { LogWriter } from './log-writer.ts';
import type { OutputPair } from './socket-pair.ts';
import { MAX_LINE_BYTES, PARTIAL_LINE_FLUSH_MS } from './line-prefixer.ts';

const NL = 0x0a;

/** Pipes paused for each writer, resumed together when it drains. */
const paused = new WeakMap<LogWriter, Set<OutputPair>>();

/**
 * Copies what the emperor reads from `pair` into `writer`. Per read: one newline search from the
 * end; everything up to the last newline goes out as it lies in the read buffer (with the line
 * the previous read cut, in the same writev); only the partial last line is copied, and it waits
 * for its end, a second of quiet, or the pipe's end.
 */
export function pipeToLog(pair: OutputPair, writer: LogWriter): void {
  let pending: Buffer | null = null;
  let pendingAt = 0;
  let timer: NodeJS.Timeout | null = null;
  let ended = false;
  const flushPartial = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending !== null) writer.push(pending);
    pending = null;
  };
  // One timer per partial line, not one per read: when it fires early (the line changed), it waits the rest.
  const onTimer = (): void => {
    timer = null;
    if (pending === null) return;
    const left = pendingAt + PARTIAL_LINE_FLUSH_MS - performance.now();
    if (left <= 0) flushPartial();
    else arm(left);
  };
  const arm = (ms: number): void => {
    timer = setTimeout(onTimer, ms);
    timer.unref();
  };
  const keep = (tail: Buffer): void => {
    pending = tail;
    pendingAt = performance.now();
    if (timer === null) arm(PARTIAL_LINE_FLUSH_MS);
  };
  if (!paused.has(writer)) {
    const set = new Set<OutputPair>();
    paused.set(writer, set);
    writer.onDrain = () => {
      for (const p of set) p.resume();
      set.clear();
    };
  }
  pair.setSink((buf, len) => {
    const body = buf.subarray(0, len);
    const last = body.lastIndexOf(NL);
    let ok = true;
    let tail = body;
    if (last >= 0) {
      const lines = body.subarray(0, last + 1);
      ok = pending === null ? writer.push(lines) : writer.push(pending, lines);
      pending = null;
      tail = body.subarray(last + 1);
    } else if (pending !== null) {
      tail = Buffer.concat([pending, body]);
      pending = null;
    }
    if (tail.length > MAX_LINE_BYTES) {
      // A line this long goes out as it is, so one vassal cannot make the emperor hold unbounded memory.
      ok = writer.push(tail) && ok;
      tail = tail.subarray(tail.length);
    }
    if (tail.length > 0) keep(tail.buffer === buf.buffer ? Buffer.from(tail) : tail);
    else if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (ok) return true;
    pair.reader.pause();
    paused.get(writer)?.add(pair);
    return false;
  });
  writer.attach();
  const end = (): void => {
    if (ended) return;
    ended = true;
    flushPartial();
    paused.get(writer)?.delete(pair);
    writer.detach();
  };
  pair.reader.on('end', end);
  pair.reader.on('close', end);
}
