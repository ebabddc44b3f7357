// supervisord's HTTP server: POST /RPC2 (XML-RPC) and GET /logtail/..., on a Unix socket (0600) or TCP with basic auth.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenUnix } from '../control/stats-server.ts';
import type { SocketAddress } from '../config/socket-address.ts';
import type { Fleet } from './fleet.ts';
import { dispatch, faultStruct } from './rpc-dispatch.ts';
import { serveLogtail } from './rpc-logtail.ts';
import { BadRequest, decodeCall, encodeFault, encodeResponse } from './xmlrpc-codec.ts';
import { Faults } from './rpc-faults.ts';

/** Largest request body accepted; supervisorctl's calls are a few hundred bytes. */
export const MAX_BODY_BYTES = 256 * 1024;
/** A declared body larger than this is not even read: the fault goes at once and the connection closes. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;
/** A client must send its whole request within this time. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** Connections served at once; more wait in the kernel's backlog. */
const MAX_CONNECTIONS = 128;

/** `user:password` from --supervisor-rpc-auth. */
export interface Credentials {
  user: string;
  password: string;
}

function authorized(req: IncomingMessage, creds: Credentials | null): boolean {
  if (creds === null) return true;
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return false;
  const given = Buffer.from(Buffer.from(m[1] ?? '', 'base64').toString('utf8'));
  const wanted = Buffer.from(`${creds.user}:${creds.password}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function reply(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

// The body, or null when it passes MAX_BODY_BYTES (the rest is read and dropped, so the answer reaches the client).
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (chunks.length > 0) chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function serveRpc(fleet: Fleet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? 0);
  // A body over the limit is still read (and dropped) before the fault is sent: answering while the
  // client writes closes the connection under it (EPIPE, no fault). Only an absurd one is cut short.
  const body = declared > MAX_DRAIN_BYTES ? null : await readBody(req);
  if (body === null) {
    res.setHeader('Connection', 'close');
    reply(res, encodeFault(Faults.INCORRECT_PARAMETERS, `INCORRECT_PARAMETERS: request body larger than ${MAX_BODY_BYTES} bytes`));
    req.resume();
    return;
  }
  let call;
  try {
    call = decodeCall(body.toString('utf8'));
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    reply(res, encodeFault(Faults.INCORRECT_PARAMETERS, `INCORRECT_PARAMETERS: ${err.message}`));
    return;
  }
  let answer: string;
  try {
    answer = encodeResponse(await dispatch(fleet, call.method, call.params));
  } catch (err) {
    const f = faultStruct(err);
    answer = encodeFault(f.faultCode, f.faultString);
  }
  if (!res.destroyed) reply(res, answer);
}

function handle(fleet: Fleet, creds: Credentials | null, req: IncomingMessage, res: ServerResponse): void {
  res.on('error', () => {});
  if (!authorized(req, creds)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="default"', 'Content-Type': 'text/plain' }).end('Unauthorized\n');
    return;
  }
  const url = req.url ?? '/';
  if (url.startsWith('/RPC2')) {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    serveRpc(fleet, req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, encodeFault(Faults.FAILED, `FAILED: ${(err as Error).message}`));
    });
    return;
  }
  if (url.startsWith('/logtail/') && req.method === 'GET') {
    try {
      serveLogtail(fleet, req, res, url.slice('/logtail'.length));
    } catch {
      // The file went away between the look and the read (rotation, removal): as supervisord, not found.
      if (!res.headersSent) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      else res.end();
    }
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
}

/** Opens the interface; a Unix socket is created 0600 (it can stop and signal programs). */
export async function startRpcServer(address: SocketAddress, creds: Credentials | null, fleet: Fleet): Promise<{ close(): void }> {
  const server: Server = createServer((req, res) => handle(fleet, creds, req, res));
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;
  server.on('clientError', (_err, sock) => {
    if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else sock.destroy();
  });
  if (address.kind === 'unix') {
    await listenUnix(server, address.path, 0o600);
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  server.on('error', () => {});
  return {
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
