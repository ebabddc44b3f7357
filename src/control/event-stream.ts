// Follows the event stream for one client: the recent events first, then live ones, and a slow client is dropped.
import type { StreamEvent } from './protocol.ts';

/** Bytes a client may leave unread before it is dropped: its events are never buffered without bound. */
export const EVENT_BACKLOG_BYTES = 256 * 1024;

/** What the stream needs from where events come from (the emperor's ring). */
export interface EventFeed {
  recent(sinceTime: number): StreamEvent[];
  subscribe(listener: (ev: StreamEvent) => void): () => void;
}

/** Where one client's events go: a control connection or an HTTP response. */
export interface EventSink {
  send(ev: StreamEvent): void;
  /** bytes written but not yet taken by the client. */
  backlog(): number;
  /** says why in the client's own format, then hangs up. */
  drop(note: string): void;
  onClose(fn: () => void): void;
}

/** Whether an event concerns the named vassals (every event when none is named). */
export function concerns(ev: StreamEvent, names: ReadonlySet<string>): boolean {
  return names.size === 0 || (ev.vassal !== undefined && names.has(ev.vassal));
}

/**
 * Streams to `sink`: the events since `sinceTime` (none when null), then every new one. The recent ones are read
 * and the subscription made in the same tick, so nothing falls between; sending starts on the next turn, after
 * the reply that opens the stream.
 */
export function followEvents(feed: EventFeed, sink: EventSink, names: ReadonlySet<string>, sinceTime: number | null, limit = EVENT_BACKLOG_BYTES): () => void {
  let ready = false;
  let done = false;
  const held: StreamEvent[] = sinceTime === null ? [] : feed.recent(sinceTime).filter((ev) => concerns(ev, names));
  const deliver = (ev: StreamEvent): void => {
    if (done) return;
    if (sink.backlog() > limit) {
      stop();
      sink.drop(`this client read too slowly: ${sink.backlog()} bytes were waiting; dropped (reconnect, with --since to catch up)`);
      return;
    }
    sink.send(ev);
  };
  const unsubscribe = feed.subscribe((ev) => {
    if (!concerns(ev, names)) return;
    if (ready) deliver(ev);
    else held.push(ev);
  });
  const stop = (): void => {
    done = true;
    unsubscribe();
  };
  sink.onClose(stop);
  setImmediate(() => {
    ready = true;
    for (const ev of held.splice(0)) deliver(ev);
  });
  return stop;
}
