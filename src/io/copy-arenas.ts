// Where a log writer copies the chunks that must wait for a write in flight: two reused buffers in
// turn instead of a fresh Buffer per chunk (each a new allocation whose pages fault in on first
// touch: while the disk is slow, that cost the emperor more than the copies themselves).

/** Size of each of the two buffers. */
export const ARENA_BYTES = 1024 * 1024;

/**
 * Copies go into the filling buffer; `swap` when they leave as one batch, so the next copies go
 * into the other buffer, whose batch is written by then (a writer flushes only with no write in
 * flight). A copy that does not fit gets a Buffer of its own.
 */
export class CopyArenas {
  private filling: Buffer | null = null;
  private other: Buffer | null = null;
  private used = 0;

  /** `parts` (together `bytes` long) joined into one copy. */
  copy(parts: readonly Buffer[], bytes: number): Buffer {
    if (bytes > ARENA_BYTES - this.used) return parts.length === 1 ? Buffer.from(parts[0] as Buffer) : Buffer.concat(parts, bytes);
    this.filling ??= Buffer.allocUnsafe(ARENA_BYTES);
    const start = this.used;
    for (const p of parts) this.used += p.copy(this.filling, this.used);
    return this.filling.subarray(start, this.used);
  }

  /** The copies so far leave as a batch: the next ones go into the other buffer. */
  swap(): void {
    const f = this.filling;
    this.filling = this.other;
    this.other = f;
    this.used = 0;
  }

  /**
   * Nothing waits and nothing is in flight: both buffers are free again; `keep` them while the disk
   * is slow (the next copies reuse their pages), else let them go (a writer in place holds none).
   */
  reset(keep: boolean): void {
    this.used = 0;
    if (keep) return;
    this.filling = null;
    this.other = null;
  }
}
