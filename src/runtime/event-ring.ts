// The last few thousand events in memory, so a client that connects now can see what just happened.
import type { StreamEvent } from '../control/protocol.ts';
import type { EventLog, EventRecord } from './event-log.ts';
import { packEvent, unpackEvent, type KeptEvent } from './event-entry.ts';

/** How many events the ring keeps: a busy hour for a few dozen vassals, a few MB at most. */
export const EVENT_RING_SIZE = 5000;

/** What the event streams read: the recent events and the live ones. */
export interface EventSource {
  /** events at or after `sinceTime` (Unix ms), oldest first. */
  recent(sinceTime: number): StreamEvent[];
  /** calls `listener` with every new event; returns the unsubscribe. */
  subscribe(listener: (ev: StreamEvent) => void): () => void;
}

/**
 * A bounded ring of events: the oldest is overwritten, never grown past its capacity. It keeps each record
 * packed (event-entry.ts; a record is never changed once written) and its time beside it, unboxed; the
 * event a reader gets (record and time in one object) is made when read.
 */
export class EventRing implements EventSource {
  private readonly slots: Array<KeptEvent | undefined>;
  private readonly times: Float64Array;
  private next = 0;
  private count = 0;
  private readonly listeners = new Set<(ev: StreamEvent) => void>();

  constructor(readonly capacity = EVENT_RING_SIZE) {
    this.slots = new Array<KeptEvent | undefined>(capacity);
    this.times = new Float64Array(capacity);
  }

  /** Keeps one event and hands it to the live listeners. */
  push(ev: StreamEvent): void {
    const { time, ...record } = ev;
    this.keep(record, time);
  }

  /** Keeps one record written at `time` (Unix ms) and hands it to the live listeners. */
  keep(record: EventRecord, time: number): void {
    this.slots[this.next] = packEvent(record);
    this.times[this.next] = time;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    if (this.listeners.size === 0) return;
    const ev: StreamEvent = Object.assign({}, record, { time });
    for (const l of this.listeners) l(ev);
  }

  /** Events at or after `sinceTime`, oldest first. */
  recent(sinceTime: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = (this.next - this.count + i + this.capacity) % this.capacity;
      const kept = this.slots[at];
      const time = this.times[at] ?? 0;
      if (kept !== undefined && time >= sinceTime) out.push(unpackEvent(kept, time));
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
  log.keepRecords((record, time) => ring.keep(record, time));
  return ring;
}
