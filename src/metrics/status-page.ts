// The metrics port's pages: GET / (status page), GET /events (SSE), POST /api/vassals/NAME/ACTION (with the token).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsDocument } from '../control/protocol.ts';
import type { EventFeed } from '../control/event-stream.ts';
import { serveEvents } from './event-sse.ts';
import { pageHtml, TIMELINE_MS } from './status-page-html.ts';

/** What the pages need from the emperor. */
export interface StatusViewsOptions {
  snapshot(): StatsDocument;
  events: EventFeed;
  /** the bearer token of --web-token; null: read-only, no buttons, no actions. */
  token: string | null;
  /** carries out an action; `status` is the HTTP status to answer with. */
  act(action: 'restart' | 'stop' | 'start', name: string): Promise<{ status: number; body: unknown }>;
}

/** Routes the metrics server hands over first; returns false for paths that are not ours. */
export interface HttpViews {
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

const ACTION_PATH = /^\/api\/vassals\/([^/]+)\/(restart|stop|start)$/;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body) + '\n');
}

/** Whether `header` carries the token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): 'missing' | 'wrong' | 'ok' {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (m === null) return 'missing';
  const given = Buffer.from(m[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want) ? 'ok' : 'wrong';
}

/** The status page, the event stream and, with a token, the actions. */
export function statusViews(opts: StatusViewsOptions): HttpViews {
  const onlyGet = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method === 'GET' || req.method === 'HEAD') return true;
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end(`${req.method ?? '?'} is not allowed here: this page is read-only\n`);
    return false;
  };
  return {
    handle(req, res, path) {
      if (path === '/') {
        if (!onlyGet(req, res)) return true;
        const now = Date.now();
        const html = pageHtml(opts.snapshot(), opts.events.recent(now - TIMELINE_MS), now, opts.token !== null);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:" });
        res.end(req.method === 'HEAD' ? undefined : html);
        return true;
      }
      if (path === '/events') {
        if (!onlyGet(req, res)) return true;
        if (req.method === 'HEAD') res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' }).end();
        else serveEvents(req, res, opts.events, opts.snapshot, new URL(req.url ?? '/', 'http://x').searchParams);
        return true;
      }
      const m = ACTION_PATH.exec(path);
      if (m === null) return false;
      // State changes only by POST with the token: a link or an image can never restart anything.
      if (req.method !== 'POST') {
        json(res, 405, { message: 'use POST with the token (Authorization: Bearer TOKEN)' }, { allow: 'POST' });
        return true;
      }
      if (opts.token === null) {
        json(res, 403, { message: 'read-only: start the emperor with --web-token FILE to allow actions' });
        return true;
      }
      const auth = bearerMatches(req.headers.authorization, opts.token);
      if (auth !== 'ok') {
        json(res, auth === 'missing' ? 401 : 403, { message: auth === 'missing' ? 'send the token: Authorization: Bearer TOKEN' : 'wrong token' }, auth === 'missing' ? { 'www-authenticate': 'Bearer' } : {});
        return true;
      }
      req.resume();
      const name = decodeURIComponent(m[1] ?? '');
      opts.act(m[2] as 'restart', name).then(
        (r) => json(res, r.status, r.body),
        (err: Error) => json(res, 500, { message: err.message }),
      );
      return true;
    },
  };
}
