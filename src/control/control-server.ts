// The control socket: JSON lines in, JSON lines out; abusive clients get an error or are dropped.
import { createServer, type Server, type Socket } from 'node:net';
import { listenUnix } from './stats-server.ts';
import { MAX_REQUEST_BYTES, PROTOCOL_VERSION, type ControlRequest, type ControlResponse, type StatsDocument } from './protocol.ts';
import { parseRequest } from './request.ts';
import { statusTable } from './status-table.ts';

/** A client that sends half a line and then nothing is dropped after this long. */
export const IDLE_TIMEOUT_MS = 30_000;

/** One client connection, as a command handler sees it. */
export interface ControlConnection {
  send(msg: ControlResponse): void;
  /** called when the client hangs up (for followers). */
  onClose(fn: () => void): void;
  /** keep the connection open after the reply (a follower). */
  keepOpen(): void;
  /** bytes written but not yet taken by the client. */
  backlog(): number;
  /** hangs up once what was sent is flushed (a follower dropped). */
  end(): void;
}

/** Carries out one request; its reply is sent by the caller. */
export type ControlHandler = (req: ControlRequest, conn: ControlConnection) => Promise<ControlResponse>;

function serve(sock: Socket, handler: ControlHandler): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let queue = Promise.resolve();
  let following = false;
  sock.setTimeout(IDLE_TIMEOUT_MS, () => {
    if (!following) sock.destroy();
  });
  sock.on('error', () => {});
  const conn: ControlConnection = {
    send: (msg) => {
      if (!sock.destroyed && sock.writable) sock.write(JSON.stringify(msg) + '\n');
    },
    onClose: (fn) => sock.once('close', fn),
    keepOpen: () => {
      following = true;
    },
    backlog: () => sock.writableLength,
    end: () => {
      sock.end();
      sock.destroySoon();
    },
  };
  const tooLong = (): void => {
    conn.send({ v: PROTOCOL_VERSION, ok: false, error: { code: 'bad-request', message: `request line longer than ${MAX_REQUEST_BYTES} bytes` } });
    sock.end();
    sock.destroySoon();
    pending = [];
    pendingBytes = 0;
  };
  const take = (line: string): void => {
    if (line.trim() === '') return;
    queue = queue.then(async () => {
      const parsed = parseRequest(line);
      if (!parsed.ok) {
        conn.send({ v: PROTOCOL_VERSION, ok: false, error: { code: parsed.code, message: parsed.message } });
        return;
      }
      try {
        conn.send(await handler(parsed.request, conn));
      } catch (err) {
        conn.send({ v: PROTOCOL_VERSION, ok: false, error: { code: 'failed', message: (err as Error).message } });
      }
    });
  };
  // Lines are cut on bytes, so the limit is in bytes whatever the characters.
  sock.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (pendingBytes + piece.length > MAX_REQUEST_BYTES) return tooLong();
      take(Buffer.concat([...pending, piece]).toString('utf8'));
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (pendingBytes + rest.length > MAX_REQUEST_BYTES) return tooLong();
    if (rest.length > 0) {
      pending.push(Buffer.from(rest));
      pendingBytes += rest.length;
    }
  });
}

/**
 * `handler`, with the table view of `status` made here from the same snapshot (the handler knows one status),
 * once per event-loop turn like the stats document: a burst of `emperorctl status` shares one snapshot.
 */
export function withStatusViews(handler: ControlHandler, later: (fn: () => void) => void = setImmediate): ControlHandler {
  let table: ControlResponse | null = null;
  return async (req, conn) => {
    if (req.cmd !== 'status' || req.view !== 'table') return handler(req, conn);
    if (table !== null) return table;
    const reply = await handler(req, conn);
    if (!('ok' in reply) || !reply.ok) return reply;
    table = { ...reply, result: statusTable(reply.result as StatsDocument) };
    later(() => {
      table = null;
    });
    return table;
  };
}

/** Opens the control socket (mode 0600), refusing to replace a live one. */
export async function startControlServer(path: string, handler: ControlHandler): Promise<Server> {
  const answer = withStatusViews(handler);
  const server = createServer((sock) => serve(sock, answer));
  server.on('error', () => {});
  await listenUnix(server, path, 0o600);
  return server;
}
