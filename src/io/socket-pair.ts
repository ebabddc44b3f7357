// Output pipes made with public APIs only, so the emperor's end can read into one shared buffer
// (net.Socket `onread`): no stream machinery and no fresh Buffer per read.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { nativeHelper } from './native.ts';
import { fdOf, pairOf, readBuffer, sinkSlot, socketEnd, type OutputPair } from './output-pair.ts';
import { nativePair, PIPE_BYTES } from './native-pair.ts';

/** Where the pair's shape and sizes live now; importers of this file keep their names. */
export { READ_BUFFER_BYTES, type ChunkSink, type OutputPair, type ReadEnd } from './output-pair.ts';
export { PIPE_BYTES, QUIET_PIPE_BYTES } from './native-pair.ts';

/** How long an accepted connection may wait to be claimed by its token before it is closed. */
export const CLAIM_TIMEOUT_MS = 5000;

/** Handshakes in flight at once; more wait their turn (the listener's backlog is 511, past it connect fails with EAGAIN). */
export const MAX_HANDSHAKES = 128;

const TOKEN_BYTES = 16;

/**
 * Makes output pairs: a listener on a random abstract Unix socket name, a connection to it, and
 * the accepted end. Each accepted connection is sent a random token; a pair is the connecting
 * end and the accepted connection whose token arrived on it, so a stranger connecting to the
 * name can never be handed to a child.
 */
export class PairMaker {
  private server: Server | null = null;
  private listening: Promise<string> | null = null;
  /** accepted connections not yet claimed, by token, with the timer that closes them. */
  private readonly unclaimed = new Map<string, { socket: Socket; timer: NodeJS.Timeout }>();
  private name: string | null = null;
  private inFlight = 0;
  private readonly turns: Array<() => void> = [];

  /**
   * With the native helper (and `native`), pairs are pipes (or socketpair(2)): no listener at all, so no
   * local user can crowd the backlog or take descriptors. Without it, the token handshake below.
   */
  constructor(
    private readonly claimTimeoutMs = CLAIM_TIMEOUT_MS,
    private readonly native = true,
  ) {}

  /** The abstract socket name listened on, once listening (tests connect to it as a stranger would). */
  get address(): string | null {
    return this.name;
  }

  /**
   * A new pair, or an error (out of file descriptors...). A native pipe starts at `startBytes`
   * (QUIET_PIPE_BYTES, for a reader that resizes it: log-pipe) where it can be resized.
   */
  async pair(startBytes: number = PIPE_BYTES): Promise<OutputPair> {
    const helper = this.native ? nativeHelper() : 'not asked for';
    if (typeof helper !== 'string') return nativePair(helper, startBytes);
    const name = await this.listen();
    if (this.inFlight >= MAX_HANDSHAKES) await new Promise<void>((r) => this.turns.push(r));
    this.inFlight++;
    try {
      return await this.handshake(name);
    } finally {
      this.inFlight--;
      this.turns.shift()?.();
    }
  }

  private handshake(name: string): Promise<OutputPair> {
    return new Promise<OutputPair>((resolve, reject) => {
      const slot = sinkSlot();
      let token = Buffer.alloc(0);
      let childEnd: Socket | null = null;
      const deliver = (n: number, buf: Buffer): boolean => (childEnd === null ? handshake(buf.subarray(0, n)) : slot.deliver(buf, n));
      const handshake = (bytes: Buffer): boolean => {
        token = Buffer.concat([token, bytes]);
        if (token.length < TOKEN_BYTES) return true;
        const key = token.subarray(0, TOKEN_BYTES).toString('hex');
        const found = this.unclaimed.get(key);
        if (found === undefined || token.length > TOKEN_BYTES) {
          reader.destroy();
          reject(new Error('output pipe handshake failed'));
          return false;
        }
        this.unclaimed.delete(key);
        clearTimeout(found.timer);
        clearTimeout(timer);
        const end = found.socket;
        childEnd = end;
        resolve(pairOf(socketEnd(reader, slot.setSink), fdOf(end), () => end.destroy(), 0));
        return true;
      };
      const reader = connect({ path: name, onread: { buffer: readBuffer(), callback: deliver } });
      const timer = setTimeout(() => {
        if (childEnd !== null) return;
        reader.destroy();
        reject(new Error('output pipe handshake timed out'));
      }, this.claimTimeoutMs);
      timer.unref();
      reader.once('error', (err) => {
        if (childEnd === null) reject(err);
      });
      reader.once('close', () => {
        clearTimeout(timer);
        if (childEnd === null) reject(new Error('output pipe closed during its handshake'));
      });
    });
  }

  /** Stops listening (the emperor shuts down); pairs already made keep working. */
  close(): void {
    this.server?.close();
    this.server = null;
    this.listening = null;
    this.name = null;
    for (const { socket, timer } of this.unclaimed.values()) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.unclaimed.clear();
  }

  private listen(): Promise<string> {
    if (this.listening !== null) return this.listening;
    const name = `\0emperor-${process.pid}-${randomBytes(8).toString('hex')}`;
    const server = createServer({ pauseOnConnect: true }, (s) => this.accept(s));
    this.server = server;
    this.listening = new Promise<string>((resolve, reject) => {
      // Before listening: the pair fails (and the next one tries again). After: a failed accept
      // (out of descriptors) leaves its connection unanswered, and that pair's handshake times out.
      server.on('error', (err) => {
        if (this.name !== null) return;
        server.close();
        if (this.server === server) {
          this.server = null;
          this.listening = null;
        }
        reject(err);
      });
      server.listen(name, () => {
        this.name = name;
        resolve(name);
      });
    });
    server.unref();
    return this.listening;
  }

  private accept(s: Socket): void {
    const key = randomBytes(TOKEN_BYTES);
    const hex = key.toString('hex');
    // Nothing is ever read from or written to this end after the token: its errors are the child's business.
    s.on('error', () => {});
    const timer = setTimeout(() => {
      this.unclaimed.delete(hex);
      s.destroy();
    }, this.claimTimeoutMs);
    timer.unref();
    this.unclaimed.set(hex, { socket: s, timer });
    s.write(key);
  }
}
