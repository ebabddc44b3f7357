// The last lines a vassal printed to the emperor's output, for `emperorctl logs` when it has no log file.

/** Lines kept per vassal. */
export const RING_LINES = 1000;
/** Bytes kept per vassal, whatever the line count. */
export const RING_BYTES = 256 * 1024;

/** A bounded ring of recent lines, with followers for `logs -f`. */
export class OutputRing {
  /** made by the first line: most vassals never print (an empty array is 32 bytes a vassal). */
  private lines: string[] | null = null;
  private bytes = 0;
  /** made by the first `follow` and dropped with the last (a Set is some 200 bytes, per vassal). */
  private followers: Set<(line: string) => void> | null = null;

  /** Takes whole lines (joined by newlines, without the last one). */
  push(text: string): void {
    const lines = (this.lines ??= []);
    for (const line of text.split('\n')) {
      lines.push(line);
      this.bytes += line.length + 1;
      if (this.followers !== null) for (const f of this.followers) f(line);
    }
    let drop = 0;
    while (lines.length - drop > RING_LINES || (this.bytes > RING_BYTES && lines.length - drop > 1)) {
      this.bytes -= (lines[drop]?.length ?? 0) + 1;
      drop++;
    }
    if (drop > 0) this.lines = lines.slice(drop);
  }

  /** The last n lines. */
  tail(n: number): string[] {
    return n <= 0 || this.lines === null ? [] : this.lines.slice(-n);
  }

  /** Calls `fn` with every new line until the returned function is called. */
  follow(fn: (line: string) => void): () => void {
    const followers = (this.followers ??= new Set());
    followers.add(fn);
    return () => {
      const had = followers.delete(fn);
      if (followers.size === 0 && this.followers === followers) this.followers = null;
      return had;
    };
  }
}
