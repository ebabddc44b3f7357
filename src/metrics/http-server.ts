// The metrics endpoint: GET /metrics (Prometheus text format) and GET /healthz.
import { createServer, type Server } from 'node:http';
import type { Metrics } from './registry.ts';
import { describeErrno, EmperorError, failure } from '../core/errors.ts';
import type { HttpViews } from './status-page.ts';

/** Parses `HOST:PORT` (IPv6 in brackets) for --metrics. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (m === null || port < 0 || port > 65535) throw new Error(`--metrics must be HOST:PORT or off, not ${value}`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** Serves the registry; resolves once listening, rejects with a clear message if the port is taken. */
export function startMetricsServer(listen: string, metrics: Metrics, views?: HttpViews): Promise<Server> {
  const { host, port } = parseListen(listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (views?.handle(req, res, path ?? '/') === true) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /healthz\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  server.on('clientError', (_err, sock) => sock.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new EmperorError(failure('E_METRICS_BIND', `cannot serve metrics on ${listen}: ${describeErrno(err)}${err.code === 'EADDRINUSE' ? ' (another emperor? pass --metrics HOST:PORT or --metrics off)' : ''}`, { cause: err }))),
    );
    server.listen(port, host, () => resolve(server));
  });
}
