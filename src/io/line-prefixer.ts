// Turns a child's output stream into whole lines prefixed `NAME: `, never splitting or merging lines.

/** A line with no newline is flushed after this much quiet, or when the stream ends. */
export const PARTIAL_LINE_FLUSH_MS = 1000;

/** A line longer than this is flushed in pieces, so one vassal cannot make the emperor hold unbounded memory. */
export const MAX_LINE_BYTES = 1024 * 1024;

const NL = 0x0a;

/** Buffers a partial last line; everything up to the last newline is written at once. */
export class LinePrefixer {
  private pending: Buffer | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly prefix: string,
    private readonly sink: (text: string) => void,
    /** also gets each batch of whole lines, unprefixed and without the last newline. */
    private readonly onLines: ((text: string) => void) | null = null,
  ) {}

  /** Takes one chunk as read from the pipe. */
  push(chunk: Buffer): void {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    const last = buf.lastIndexOf(NL);
    if (last >= 0) {
      this.emit(buf.toString('utf8', 0, last));
      buf = buf.subarray(last + 1);
    }
    while (buf.length > MAX_LINE_BYTES) {
      this.emit(buf.toString('utf8', 0, MAX_LINE_BYTES));
      buf = buf.subarray(MAX_LINE_BYTES);
    }
    if (buf.length > 0) {
      this.pending = Buffer.from(buf);
      this.armTimer();
    } else {
      this.clearTimer();
    }
  }

  /** Writes what is left (the stream ended or went quiet). */
  flush(): void {
    this.clearTimer();
    if (this.pending === null) return;
    const text = this.pending.toString('utf8');
    this.pending = null;
    this.emit(text);
  }

  private emit(text: string): void {
    this.onLines?.(text);
    const p = this.prefix;
    this.sink(p + (text.includes('\n') ? text.split('\n').join('\n' + p) : text) + '\n');
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => this.flush(), PARTIAL_LINE_FLUSH_MS);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
