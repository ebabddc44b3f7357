// Reads a listener's stdout as supervisord does: `READY\n` when it wants an event, `RESULT N\n` and N bytes when done.

/** What the listener said. */
export type ListenerOutput = { kind: 'ready' } | { kind: 'result'; ok: boolean; body: string } | { kind: 'junk'; text: string } | { kind: 'broken'; why: string };

const READY = 'READY\n';
/** Most bytes held while waiting for a token: a listener printing freely is read as junk, never kept. */
const MAX_HELD = 64 * 1024;
/** A RESULT body larger than this is a broken listener. */
const MAX_RESULT = 64 * 1024;

/** The listener protocol on one stdout; `expectResult` is called once an event has been written to it. */
export class ProtocolReader {
  private held = '';
  private waitingResult = false;

  /** An event was sent: the next thing the listener must say is its RESULT. */
  expectResult(): void {
    this.waitingResult = true;
  }

  /** Takes output, returns what it meant, in order. */
  feed(chunk: string): ListenerOutput[] {
    this.held += chunk;
    const out: ListenerOutput[] = [];
    for (;;) {
      if (!this.waitingResult) {
        const at = this.held.indexOf(READY);
        if (at < 0) {
          if (this.held.length > MAX_HELD) {
            out.push({ kind: 'junk', text: this.held });
            this.held = '';
          }
          return out;
        }
        if (at > 0) out.push({ kind: 'junk', text: this.held.slice(0, at) });
        this.held = this.held.slice(at + READY.length);
        out.push({ kind: 'ready' });
        continue;
      }
      const nl = this.held.indexOf('\n');
      if (nl < 0) {
        if (this.held.length > 64) return [...out, this.broken(`expected \`RESULT N\`, got ${JSON.stringify(this.held.slice(0, 40))}`)];
        return out;
      }
      const m = /^RESULT (\d+)$/.exec(this.held.slice(0, nl));
      if (m === null) return [...out, this.broken(`expected \`RESULT N\`, got ${JSON.stringify(this.held.slice(0, Math.min(nl, 40)))}`)];
      const len = Number(m[1]);
      if (len > MAX_RESULT) return [...out, this.broken(`RESULT of ${len} bytes is more than ${MAX_RESULT}`)];
      const body = Buffer.from(this.held.slice(nl + 1));
      if (body.length < len) return out;
      const text = body.subarray(0, len).toString();
      this.held = body.subarray(len).toString();
      this.waitingResult = false;
      out.push({ kind: 'result', ok: text === 'OK', body: text });
    }
  }

  private broken(why: string): ListenerOutput {
    this.held = '';
    this.waitingResult = false;
    return { kind: 'broken', why };
  }
}
