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
export function pipeToLog(pair: OutputPair, writer: LogWriter, onLines?: (text: string) => void): void {
  // The line cut by the last read, gathered in a buffer that doubles as it fills: joined as it
  // comes, in amortised linear time, so a writer dribbling a long line a byte at a time never
  // makes the emperor copy it over and over (nor hold one small Buffer per byte).
  let pending: Buffer | null = null;
  let pendingBytes = 0;
  let pendingAt = 0;
  let timer: NodeJS.Timeout | null = null;
  let ended = false;
  const takePending = (): Buffer[] => {
    if (pending === null || pendingBytes === 0) return [];
    const line = pending.subarray(0, pendingBytes);
    pending = null;
    pendingBytes = 0;
    return [line];
  };
  const flushPartial = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pendingBytes > 0) writer.push(...takePending());
  };
  // One timer per partial line, not one per read: when it fires early (the line changed), it waits the rest.
  const onTimer = (): void => {
    timer = null;
    if (pendingBytes === 0) return;
    const left = pendingAt + PARTIAL_LINE_FLUSH_MS - performance.now();
    if (left <= 0) flushPartial();
    else arm(left);
  };
  const arm = (ms: number): void => {
    timer = setTimeout(onTimer, ms);
    timer.unref();
  };
  const keep = (tail: Buffer): void => {
    if (pending === null || pendingBytes + tail.length > pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(256, 2 * (pendingBytes + tail.length)));
      if (pending !== null) pending.copy(grown, 0, 0, pendingBytes);
      pending = grown;
    }
    // Copied: the read buffer is reused by the next read.
    tail.copy(pending, pendingBytes);
    pendingBytes += tail.length;
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
      // The hook (ready-log-line) sees whole lines: the one the last read cut is joined to its end.
      if (onLines !== undefined) onLines((pendingBytes === 0 ? '' : (pending as Buffer).toString('utf8', 0, pendingBytes)) + lines.toString('utf8', 0, last));
      ok = pendingBytes === 0 ? writer.push(lines) : writer.push(...takePending(), lines);
      tail = body.subarray(last + 1);
    }
    if (pendingBytes + tail.length > MAX_LINE_BYTES) {
      // A line this long goes out as it is, so one vassal cannot make the emperor hold unbounded memory.
      ok = writer.push(...takePending(), tail) && ok;
      tail = tail.subarray(tail.length);
    }
    if (tail.length > 0) keep(tail);
    else if (pendingBytes === 0 && timer !== null) {
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
