// Cuts a child's output into whole lines, holding only the partial last one: shared by the log files
// (log-pipe) and the `NAME: ` lines on the emperor's own output.

/** A line with no newline is flushed after this much quiet, or when the stream ends. */
export const PARTIAL_LINE_FLUSH_MS = 1000;

/** A line longer than this goes out in pieces, so one vassal cannot make the emperor hold unbounded memory. */
export const MAX_LINE_BYTES = 1024 * 1024;

const NL = 0x0a;

/**
 * Where framed output goes: `chunks` together are whole lines ending in a newline (`whole`), or one
 * partial line flushed early (quiet, too long, the end). Returns false when the receiver is behind.
 */
export type FrameSink = (chunks: Buffer[], whole: boolean) => boolean;

/** One stream's framer: `push` each read (the buffer may be reused after), `end` when the stream ends. */
export interface LineFramer {
  push(body: Buffer): boolean;
  end(): void;
}

/**
 * Per read: one newline search from the end; everything up to the last newline goes out as it lies in
 * the read buffer (with the line the previous read cut, in the same call); only the partial last line
 * is copied, and it waits for its end, a second of quiet, or the stream's end.
 */
export function frameLines(out: FrameSink): LineFramer {
  // The line cut by the last read, gathered in a buffer that doubles as it fills: joined as it
  // comes, in amortised linear time, so a writer dribbling a long line a byte at a time never
  // makes the emperor copy it over and over (nor hold one small Buffer per byte).
  let pending: Buffer | null = null;
  let pendingBytes = 0;
  let pendingAt = 0;
  let timer: NodeJS.Timeout | null = null;
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
    if (pendingBytes > 0) out(takePending(), false);
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
  return {
    push(body) {
      const last = body.lastIndexOf(NL);
      let ok = true;
      let tail = body;
      if (last >= 0) {
        const lines = body.subarray(0, last + 1);
        ok = pendingBytes === 0 ? out([lines], true) : out([...takePending(), lines], true);
        tail = body.subarray(last + 1);
      }
      if (pendingBytes + tail.length > MAX_LINE_BYTES) {
        ok = out([...takePending(), tail], false) && ok;
        tail = tail.subarray(tail.length);
      }
      if (tail.length > 0) keep(tail);
      else if (pendingBytes === 0 && timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      return ok;
    },
    end: flushPartial,
  };
}

/**
 * Output with no log file: each batch of lines goes to `sink` with every line prefixed (a partial
 * line flushed early ends with a newline too), and to `onLines` unprefixed, without the last newline.
 */
export function prefixLines(prefix: string, sink: (text: string) => void, onLines: (text: string) => void): LineFramer {
  return frameLines((chunks, whole) => {
    const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const text = all.toString('utf8', 0, whole ? all.length - 1 : all.length);
    onLines(text);
    sink(prefix + (text.includes('\n') ? text.split('\n').join('\n' + prefix) : text) + '\n');
    return true;
  });
}
