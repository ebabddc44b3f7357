// GET /events: the event stream as Server-Sent Events, for the status page and for `curl -N`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsDocument } from '../control/protocol.ts';
import { followEvents, type EventFeed } from '../control/event-stream.ts';

/** How often the page's stream carries a fresh snapshot (CPU, RSS, uptime move without events). */
export const SNAPSHOT_EVERY_MS = 2000;
/** A comment line now and then keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** The query of /events: `since` (seconds, or 30s/10m/1h), `names` (comma-separated), `snapshots=1`. */
export function parseEventsQuery(search: URLSearchParams): { sinceMs: number | null; names: string[]; snapshots: boolean } | string {
  const since = search.get('since');
  let sinceMs: number | null = null;
  if (since !== null) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(since);
    if (m === null) return `since: expected a duration such as 30s, 10m or 1h, got ${since}`;
    sinceMs = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  }
  const names = (search.get('names') ?? '').split(',').filter((n) => n !== '');
  return { sinceMs, names, snapshots: search.get('snapshots') === '1' };
}

/** Serves one SSE client until it hangs up, or is dropped for reading too slowly. */
export function serveEvents(req: IncomingMessage, res: ServerResponse, feed: EventFeed, snapshot: () => StatsDocument, search: URLSearchParams): void {
  const q = parseEventsQuery(search);
  if (typeof q === 'string') {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(q + '\n');
    return;
  }
  const known = new Set(snapshot().vassals.map((v) => v.name));
  const unknown = q.names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no vassal named ${unknown.join(', ')}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.write('retry: 1000\n\n');
  req.socket.setNoDelay(true);
  const send = (event: string | null, data: unknown): void => {
    if (!res.writableEnded) res.write(`${event !== null ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  };
  const timers: NodeJS.Timeout[] = [setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS)];
  // A change is followed by a fresh snapshot at once (its error, pids, restarts), not at the next tick.
  let soon: NodeJS.Timeout | null = null;
  const snapSoon = (): void => {
    soon ??= setTimeout(() => {
      soon = null;
      send('snapshot', snapshot());
    }, 20);
  };
  if (q.snapshots) {
    send('snapshot', snapshot());
    timers.push(setInterval(() => send('snapshot', snapshot()), SNAPSHOT_EVERY_MS));
  }
  const stop = followEvents(feed, {
    send: (ev) => {
      send(null, ev);
      if (q.snapshots && ev.state !== undefined) snapSoon();
    },
    backlog: () => res.writableLength,
    drop: (note) => {
      send('dropped', { note });
      res.end();
    },
    onClose: (fn) => res.once('close', fn),
  }, new Set(q.names), q.sinceMs === null ? null : Date.now() - q.sinceMs);
  res.once('close', () => {
    stop();
    for (const t of timers) clearInterval(t);
    if (soon !== null) clearTimeout(soon);
  });
}
