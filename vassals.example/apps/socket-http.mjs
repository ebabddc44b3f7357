// An HTTP server for an emperor-held socket (`socket = ...` in its vassal file): it listens on the
// inherited fd 3 when LISTEN_FDS says so (systemd's socket activation), else on HOST:PORT, and on
// SIGTERM stops accepting, finishes the requests in flight and exits, so a rolling reload drops nothing.
import { createServer } from 'node:http';
import net from 'node:net';

const inherited = process.env.LISTEN_FDS === '1' && process.env.LISTEN_PID === String(process.pid);
// As sd_listen_fds() does: the variables are for this process, not for programs it may start.
for (const k of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES']) delete process.env[k];

const version = process.env.APP_VERSION ?? '1';
let draining = false;
const server = createServer((req, res) => {
  // While draining, every answer closes its connection: a keep-alive client reconnects to another process.
  if (draining) res.setHeader('connection', 'close');
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hello from pid ${process.pid} (instance ${process.env.EMPEROR_INSTANCE ?? '?'}, version ${version})\n`);
});

const where = inherited ? { fd: 3 } : { host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8781) };
server.listen(where, () => console.log(inherited ? `listening on the inherited socket (fd 3, ${process.env.EMPEROR_VASSAL ?? 'vassal'})` : `listening on http://${where.host}:${where.port}/`));

// Idle keep-alive connections get this long to send their next request (answered with
// `Connection: close`) before they are closed: closing one as a client reuses it is a reset.
const IDLE_GRACE_MS = 1000;

process.on('SIGTERM', () => {
  if (draining) return;
  draining = true;
  // Stop accepting (the other processes sharing the socket take the new connections); unlike
  // http's close(), net's leaves idle keep-alive connections open. Exit once every connection ended.
  net.Server.prototype.close.call(server, () => process.exit(0));
  setTimeout(() => server.closeIdleConnections(), IDLE_GRACE_MS).unref();
});
