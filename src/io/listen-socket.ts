// A listening socket the emperor holds for its children but never accepts on (socket activation).
import net from 'node:net';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, lstatSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { nativeHelper } from './native.ts';
import { dirname } from 'node:path';
import { getSystemErrorName } from 'node:util';
import type { SocketAddress } from '../config/socket-address.ts';
import { describeErrno, errnoOf, failed, failedWith, failure, type ErrorCode, type Failed, type Failure } from '../core/errors.ts';

/** The backlog asked for; the kernel caps it at net.core.somaxconn. A child may set its own with listen(). */
export const LISTEN_BACKLOG = 4096;

/**
 * A bound socket: its descriptor is handed to children, the emperor itself never accepts on it.
 * `ready` settles once it listens: null, or why it cannot (then it is closed).
 */
export interface ListenSocket {
  fd: number;
  ready: Promise<string | null>;
  close(): void;
}

/** A listen() helper that has not exited by then is killed and the socket counts as failed. */
export const LISTEN_HELPER_TIMEOUT_MS = 30_000;

// The libuv handle Node's cluster module binds with: bound, not listening, so no accept loop is attached.
interface ServerHandle {
  fd: number;
  close(): void;
  getsockname?(out: { port?: number }): number;
}
type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number, flags?: number) => ServerHandle | number;
// `net._createServerHandle` is Node's own (cluster), not in @types/node: without the native helper, the
// one way to bind without an accept loop.
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

// Runs in a throwaway Node process holding the socket as fd 3: listen(), then exit in the same tick,
// before its event loop could ever accept. The socket stays listening in the emperor.
const LISTEN_CODE = `const s = new (require('node:net').Server)(); s.on('error', () => {}); s.listen({ fd: 3, backlog: ${LISTEN_BACKLOG} }); process.exit(s.listening ? 0 : 1);`;

const HINTS: Record<string, (a: SocketAddress) => string> = {
  EADDRINUSE: (a) => (a.kind === 'tcp' ? `another program listens on port ${a.port} (see \`ss -ltnp 'sport = :${a.port}'\`); stop it or choose another port` : 'another program holds that path'),
  EACCES: (a) => (a.kind === 'tcp' && a.port < 1024 ? `ports below 1024 need root: run the emperor as root (it binds before dropping to the vassal's user), or choose a port from 1024` : 'permission denied; check the directory\'s owner and mode'),
  EADDRNOTAVAIL: () => 'no network interface of this machine has that address; use 127.0.0.1, ::1, 0.0.0.0 or one of `ip -br addr`',
  EAFNOSUPPORT: () => 'this machine has no IPv6; use an IPv4 address',
};

function bindFailed(a: SocketAddress, what: string, errno: number | string): Failed {
  const code = typeof errno === 'number' ? getSystemErrorName(errno) : errno;
  const hint = HINTS[code]?.(a);
  return failed(bindCode(code), `cannot ${what} (${code})${hint === undefined ? '' : `: ${hint}`}`);
}

// What an errno of a bind (or of the path it makes) means for the operator.
function bindCode(errno: string | null): ErrorCode {
  return errno === 'EADDRINUSE' ? 'E_BIND_IN_USE' : errno === 'EACCES' || errno === 'EPERM' ? 'E_BIND_DENIED' : 'E_BIND_FAILED';
}

// One helper at a time: many sockets at once (a fleet's first start) never fork many Node processes together.
let helpers: Promise<unknown> = Promise.resolve();

// Makes the socket listen through the helper, without blocking the event loop; `open()` says whether fd is still ours.
function listenLater(fd: number, open: () => boolean): Promise<string | null> {
  const run = (): Promise<string | null> =>
    new Promise((resolve) => {
      // The descriptor number could be reused once closed: never hand a closed one to the helper.
      if (!open()) {
        resolve('the socket was closed before it listened');
        return;
      }
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(process.execPath, ['-e', LISTEN_CODE], { stdio: ['ignore', 'ignore', 'pipe', fd], env: {} });
      } catch (err) {
        resolve(`cannot listen: cannot run ${process.execPath} (${describeErrno(err)})`);
        return;
      }
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), LISTEN_HELPER_TIMEOUT_MS);
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve(`cannot listen: cannot run ${process.execPath} (${err.message})`);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve(code === 0 ? null : `cannot listen: ${stderr.trim().split('\n').pop() || 'listen() failed'}`);
      });
    });
  const done = helpers.then(run, run);
  helpers = done.catch(() => null);
  return done;
}

/**
 * Binds `a` and makes it listen; a Unix path's stale socket file is replaced, a live one never.
 * With the native helper this is one synchronous socket/bind/listen (`ready` is settled at once);
 * without it, Node binds (cluster's handle) and a helper process listens soon after.
 */
export function openListenSocket(a: SocketAddress, native = true): ListenSocket | Failed {
  if (a.kind === 'unix') {
    const problem = prepareUnixPath(a.path);
    if (problem !== null) return failedWith(problem);
  }
  const helper = native ? nativeHelper() : 'not asked for';
  let fd: number;
  let closeHandle: () => void;
  let listening: boolean;
  if (typeof helper !== 'string') {
    const r = a.kind === 'tcp' ? helper.listenSocket(a.host, a.port, LISTEN_BACKLOG) : helper.listenSocket(a.path, -1, LISTEN_BACKLOG);
    if (r < 0) return bindFailed(a, 'bind', r); // -errno, as getSystemErrorName wants
    fd = r;
    closeHandle = () => closeSync(r);
    listening = true;
  } else {
    const handle = a.kind === 'tcp' ? createServerHandle(a.host, a.port, a.host.includes(':') ? 6 : 4, undefined, 0) : createServerHandle(a.path, -1, -1);
    if (typeof handle === 'number') return bindFailed(a, 'bind', handle);
    if (a.kind === 'tcp') {
      // libuv defers EADDRINUSE from bind() to listen(): a socket left unbound has port 0 here.
      const out: { port?: number } = {};
      handle.getsockname?.(out);
      if (out.port !== a.port) {
        handle.close();
        return bindFailed(a, 'bind', 'EADDRINUSE');
      }
    }
    fd = handle.fd;
    closeHandle = () => handle.close();
    listening = false;
  }
  let ino: number | null = null;
  const unixPath = a.kind === 'unix' ? a.path : null;
  if (a.kind === 'unix') {
    try {
      // As systemd's SocketMode= default: any local client may connect; the directory guards the path.
      chmodSync(a.path, 0o666);
      ino = statSync(a.path).ino;
    } catch (err) {
      closeHandle();
      return bindFailed(a, `set up ${a.path}`, errnoOf(err) ?? 'EIO');
    }
  }
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    closeHandle();
    if (unixPath !== null && ino !== null) removeIfSame(unixPath, ino);
  };
  const ready = listening
    ? Promise.resolve(null)
    : listenLater(fd, () => open).then((why) => {
        if (why !== null) close();
        return why;
      });
  return { fd, ready, close };
}

// A socket file that no process listens on is stale (a crash left it): remove it; anything else is refused.
function prepareUnixPath(path: string): Failure | null {
  let kind: 'socket' | 'other' | null = null;
  try {
    kind = lstatSync(path).isSocket() ? 'socket' : 'other';
  } catch {
    kind = null;
  }
  if (kind === 'other') return failure('E_BIND_FAILED', `${path} exists and is not a socket; remove it or choose another path`);
  if (kind === 'socket') {
    if (unixPathListening(path)) return failure('E_BIND_IN_USE', `another program listens on ${path}; stop it or choose another path`);
    try {
      unlinkSync(path);
    } catch (err) {
      return failure(bindCode(errnoOf(err)), `cannot remove the stale socket ${path} (${errnoOf(err) ?? 'error'})`, { cause: err });
    }
    return null;
  }
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  } catch (err) {
    return failure(bindCode(errnoOf(err)), `cannot create the directory ${dirname(path)} (${errnoOf(err) ?? 'error'})`, { cause: err });
  }
  return null;
}

/** Whether a process of this network namespace listens on the Unix socket `path` (from /proc/net/unix). */
export function unixPathListening(path: string): boolean {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return true; // cannot tell: never replace what may be live
  }
  for (const line of table.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 is __SO_ACCEPTCON: a listening socket.
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8 || cols.slice(7).join(' ') !== path) continue;
    if ((Number.parseInt(cols[3] ?? '0', 16) & 0x10000) !== 0) return true;
  }
  return false;
}

function removeIfSame(path: string, ino: number): void {
  try {
    if (statSync(path).ino === ino) unlinkSync(path);
  } catch {
    // already gone
  }
}
