// The emperor's own event lines, one per transition, as text or JSON lines on its standard output.

/** `text` for people and journald, `json` for log shippers. */
export type LogFormat = 'text' | 'json';

/** One thing that happened, about a vassal or the emperor itself. */
export interface EventRecord {
  level: 'info' | 'warn' | 'error';
  vassal?: string;
  instance?: number;
  state?: string;
  pid?: number | null;
  code?: number | null;
  signal?: string | null;
  message?: string;
  /** the state before this one (instance transitions only); given to subscribers, not written. */
  from?: string;
}

/** An event as subscribers see it: the record and its time (Unix milliseconds). */
export interface LiveEvent extends EventRecord {
  time: number;
}

/** Writes event lines; the sink is injected so tests can read them. */
export class EventLog {
  private readonly listeners = new Set<(ev: LiveEvent) => void>();
  private readonly keepers = new Set<(record: EventRecord, time: number) => void>();

  constructor(
    private readonly format: LogFormat,
    private readonly sink: (line: string) => void = (l) => process.stdout.write(l),
  ) {}

  /** Writes one event line. */
  write(record: EventRecord): void {
    const now = Date.now();
    for (const k of this.keepers) k(record, now);
    if (this.listeners.size > 0) {
      // Not `{ ...record, time }`: a spread of records of several shapes gives each copy a map of its own
      // (V8's megamorphic clone), ~340 bytes more per event the ring keeps; Object.assign shares the maps.
      const live: LiveEvent = Object.assign({}, record, { time: now });
      for (const l of this.listeners) l(live);
    }
    const { from: _from, ...ev } = record;
    const time = new Date(now).toISOString();
    if (this.format === 'json') {
      this.sink(JSON.stringify({ time, ...ev }) + '\n');
      return;
    }
    const parts = [time];
    if (ev.vassal === undefined) parts.push('emperor:');
    else parts.push(ev.instance === undefined ? `${ev.vassal}:` : `${ev.vassal}[${ev.instance}]:`);
    if (ev.level !== 'info') parts.push(ev.level.toUpperCase());
    if (ev.state !== undefined) parts.push(ev.state);
    if (ev.pid != null) parts.push(`pid=${ev.pid}`);
    if (ev.code != null) parts.push(`code=${ev.code}`);
    if (ev.signal != null) parts.push(`signal=${ev.signal}`);
    if (ev.message) parts.push(ev.message);
    this.sink(parts.join(' ') + '\n');
  }

  /** Calls `listener` with every event from now on (event streams, event listeners); returns the unsubscribe. */
  subscribe(listener: (ev: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `keeper` with every record as written (never changed after) and its time: for what keeps events
   * (the ring), without an event object made per subscriber. Called before the subscribers.
   */
  keepRecords(keeper: (record: EventRecord, time: number) => void): void {
    this.keepers.add(keeper);
  }

  /** An emperor-level message. */
  info(message: string): void {
    this.write({ level: 'info', message });
  }

  /** An emperor-level warning. */
  warn(message: string): void {
    this.write({ level: 'warn', message });
  }
}
