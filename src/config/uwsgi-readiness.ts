// How a [uwsgi] app says it is ready over the uWSGI Emperor protocol: with workers on 5, a gateway alone by start-secs.
import type { IniEntry } from './ini-source.ts';
import { defaultReadiness, type ReadinessSpec } from './readiness-spec.ts';

/** Options that bind a socket its workers accept on (uWSGI's `uwsgi.sockets`). */
const SOCKET_KEYS = new Set([
  'socket', 's', 'uwsgi-socket', 'suwsgi-socket', 'puwsgi-socket', 'http-socket', 'https-socket', 'http2-socket',
  'fastcgi-socket', 'fastcgi-nph-socket', 'scgi-socket', 'scgi-nph-socket', 'raw-socket', 'ssl-socket', 'zmq-socket',
]);
/** Options of the HTTP router that give it backends: without one it binds a socket for its own workers (plugins/http/http.c). */
const HTTP_BACKENDS = /^https?-(to|subscription-server|to-https)$/;

/**
 * Whether uWSGI runs workers for this file: with no socket it runs none (`numproc = 0` in core/uwsgi.c),
 * so no worker ever sends 5; `http` or `https` without a backend adds a socket of its own.
 */
export function uwsgiHasWorkers(entries: readonly IniEntry[]): boolean {
  const keys = new Set(entries.map((e) => e.key));
  if ([...keys].some((k) => SOCKET_KEYS.has(k))) return true;
  const router = keys.has('http') || keys.has('https');
  return router && ![...keys].some((k) => HTTP_BACKENDS.test(k));
}

/** The readiness of a [uwsgi] app: the uWSGI Emperor protocol, ready on 5 when it has workers. */
export function uwsgiReadiness(entries: readonly IniEntry[]): ReadinessSpec {
  return { ...defaultReadiness(), uwsgi: { workers: uwsgiHasWorkers(entries) } };
}
