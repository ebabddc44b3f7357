// Output pipes made with public APIs only, so the emperor's end can read into one shared buffer
// (net.Socket `onread`): no stream machinery and no fresh Buffer per read.
import { randomBytes } from 'node:crypto';
import { connect, createServer, Socket, type Server, type SocketConstructorOpts } from 'node:net';
import { errnoName, nativeHelper, type NativeHelper } from './native.ts';

/**
 * Size of the one buffer every piped read lands in: a read takes whatever the pipe holds, up to this
 * (a full 1 MiB pipe in one read; its pages are resident only once a read has been that big).
 */
export const READ_BUFFER_BYTES = 1024 * 1024;

/**
 * Size asked for the pipes of the native helper (F_SETPIPE_SZ; 1 MiB is Linux's default pipe-max-size):
 * a child writing small chunks fills it between two of the emperor's reads instead of waking it at each.
 * Memory is taken only by what is waiting in it.
 */
export const PIPE_BYTES = 1024 * 1024;

/** How long an accepted connection may wait to be claimed by its token before it is closed. */
export const CLAIM_TIMEOUT_MS = 5000;

/** Handshakes in flight at once; more wait their turn (the listener's backlog is 511, past it connect fails with EAGAIN). */
export const MAX_HANDSHAKES = 128;

const TOKEN_BYTES = 16;

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
  /** where chunks go from now on. */
  setSink(sink: ChunkSink): void;
  /** reading starts again after the sink returned false. */
  resume(): void;
  closeChildEnd(): void;
  /** closes both ends (a spawn that did not happen). */
  destroy(): void;
}

// One buffer for every reader: a read and its callback run back to back on the main thread, and
// every sink consumes or copies the bytes before it returns.
let shared: Buffer | null = null;
const readBuffer = (): Buffer => (shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES));

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

  /** A new pair, or an error (out of file descriptors...). */
  async pair(): Promise<OutputPair> {
    const helper = this.native ? nativeHelper() : 'not asked for';
    if (typeof helper !== 'string') return nativePair(helper);
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
        resolve(pairOf(reader, end, slot.setSink, 0));
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

// Where reads go: held (copied) until a sink is set, then straight to it.
function sinkSlot(): { deliver: ChunkSink; setSink: (s: ChunkSink) => void } {
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

// A pair from the native helper: a 1 MiB pipe (cheaper per small write than a socket: no buffer
// allocated and freed per write, and 1 MiB between two reads instead of ~200 KiB), or socketpair(2)
// from a helper built before pipePair. The emperor's end reads into the shared buffer from the
// start; what arrives before a sink is set is held for it.
function nativePair(helper: NativeHelper): OutputPair {
  const fds = helper.pipePair !== undefined ? helper.pipePair(PIPE_BYTES) : helper.socketPair();
  if (typeof fds === 'number') throw Object.assign(new Error(`${helper.pipePair !== undefined ? 'pipe' : 'socketpair'}: ${errnoName(fds)}`), { code: errnoName(fds) });
  const [mine, theirs] = fds;
  const holds = fds.length === 3 ? fds[2] : 0;
  const slot = sinkSlot();
  // `onread` is honoured by the constructor (net.connect passes it through there); @types/node lists it
  // only for connect, hence the widened type.
  const opts: SocketConstructorOpts & { onread: { buffer: Buffer; callback: (n: number, buf: Buffer) => boolean } } = {
    fd: mine,
    readable: true,
    writable: false,
    onread: { buffer: readBuffer(), callback: (n, buf) => slot.deliver(buf, n) },
  };
  const reader = new Socket(opts);
  // Never read or written here: it only travels to the child as its stdout or stderr.
  const childEnd = new Socket({ fd: theirs, readable: false, writable: false });
  childEnd.on('error', () => {});
  return pairOf(reader, childEnd, slot.setSink, holds);
}

function pairOf(reader: Socket, childEnd: Socket, setSink: (s: ChunkSink) => void, holds: number): OutputPair {
  // A reset from the child's side ends the reader like an EOF does ('close' follows).
  reader.on('error', () => {});
  return {
    childEnd,
    reader,
    holds,
    setSink,
    resume: () => reader.resume(),
    closeChildEnd: () => childEnd.destroy(),
    destroy: () => {
      childEnd.destroy();
      reader.destroy();
    },
  };
}
