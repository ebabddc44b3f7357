// The stats socket: every connection gets one JSON document, then the emperor closes it (as uWSGI's does).
import { EmperorError, failure } from '../core/errors.ts';
import { createServer, createConnection, type Server } from 'node:net';
import { chmodSync, chownSync, unlinkSync, existsSync } from 'node:fs';

/** True when something answers on the Unix socket at `path` (another live emperor). */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const done = (v: boolean): void => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(true));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Listens on a Unix socket, replacing a stale file but never a live socket. */
export async function listenUnix(server: Server, path: string, mode: number): Promise<void> {
  if (existsSync(path)) {
    if (await socketAnswers(path)) {
      throw new EmperorError(failure('E_ALREADY_RUNNING', `cannot open ${path}: it is in use by a running process (another emperor?); stop it or choose another path`));
    }
    unlinkSync(path);
  }
  // Created with the final mode already, so there is no moment when others may connect.
  const previous = process.umask(~mode & 0o777);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A burst of clients past Node's default backlog (511) would be refused with EAGAIN: the kernel caps this at somaxconn.
      server.listen({ path, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, mode);
}

/** A stats client that takes longer than this to read its document is dropped. */
export const STATS_CLIENT_TIMEOUT_MS = 10_000;

/**
 * `render` made once per event-loop turn: a burst of clients connecting together (a thousand
 * `emperorctl status`, a monitoring fleet) shares one document instead of each paying for it.
 */
export function oncePerTurn(render: () => string, later: (fn: () => void) => void = setImmediate): () => string {
  let cached: string | null = null;
  return () => {
    if (cached === null) {
      cached = render();
      later(() => {
        cached = null;
      });
    }
    return cached;
  };
}

/** Serves `render()` to every connection on the stats socket (one rendering per event-loop turn). */
export async function startStatsServer(path: string, render: () => string, gid: number | null = null): Promise<Server> {
  const document = oncePerTurn(render);
  const server = createServer((sock) => {
    sock.on('error', () => {});
    // Whatever a client sends is read and dropped: unread input would hide its hang-up, and the
    // connection (a descriptor) would stay open forever. A client that never reads is dropped too.
    sock.resume();
    sock.setTimeout(STATS_CLIENT_TIMEOUT_MS, () => sock.destroy());
    sock.end(document());
  });
  server.on('error', () => {});
  await listenUnix(server, path, 0o664);
  // --stats-group: its members may connect (a socket needs write permission to connect).
  if (gid !== null) chownSync(path, process.geteuid?.() ?? 0, gid);
  return server;
}

/** Closes a Unix-socket server and removes its file. */
export function closeUnix(server: Server, path: string): void {
  server.close();
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
