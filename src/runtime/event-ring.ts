// The last few thousand events in memory, so a client that connects now can see what just happened.
import type { StreamEvent } from '../control/protocol.ts';
import type { EventLog } from './event-log.ts';

/** How many events the ring keeps: a busy hour for a few dozen vassals, a few MB at most. */
export const EVENT_RING_SIZE = 5000;

/** What the event streams read: the recent events and the live ones. */
export interface EventSource {
  /** events at or after `sinceTime` (Unix ms), oldest first. */
  recent(sinceTime: number): StreamEvent[];
  /** calls `listener` with every new event; returns the unsubscribe. */
  subscribe(listener: (ev: StreamEvent) => void): () => void;
}

/** A bounded ring of events: the oldest is overwritten, never grown past its capacity. */
export class EventRing implements EventSource {
  private readonly slots: Array<StreamEvent | undefined>;
  private next = 0;
  private count = 0;
  private readonly listeners = new Set<(ev: StreamEvent) => void>();

  constructor(readonly capacity = EVENT_RING_SIZE) {
    this.slots = new Array<StreamEvent | undefined>(capacity);
  }

  /** Keeps one event and hands it to the live listeners. */
  push(ev: StreamEvent): void {
    this.slots[this.next] = ev;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    for (const l of this.listeners) l(ev);
  }

  /** Events at or after `sinceTime`, oldest first. */
  recent(sinceTime: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (let i = 0; i < this.count; i++) {
      const ev = this.slots[(this.next - this.count + i + this.capacity) % this.capacity];
      if (ev !== undefined && ev.time >= sinceTime) out.push(ev);
    }
    return out;
  }

  /** Live events from now on. */
  subscribe(listener: (ev: StreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A ring fed by the emperor's event log from now on. */
export function recordEvents(log: EventLog, capacity = EVENT_RING_SIZE): EventRing {
  const ring = new EventRing(capacity);
  log.subscribe((ev) => ring.push(ev));
  return ring;
}
