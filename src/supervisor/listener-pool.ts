// One [eventlistener:x]: its processes, its event buffer (buffer_size, oldest dropped), and dispatch to a READY process.
import { subscribes, type ListenerSpec } from '../config/supervisord-listener.ts';
import { envelope, type SupEvent } from './listener-events.ts';
import { ListenerProcess, type ListenerSetup } from './listener-process.ts';
import type { ListenerView } from './process-view.ts';

/** An event with its global serial, as every pool sees it. */
export interface SerialEvent extends SupEvent {
  serial: number;
}

interface Queued {
  ev: SerialEvent;
  poolSerial: number;
}

/** Where a pool writes what happens to it. */
export interface PoolLog {
  (message: string, level: 'info' | 'warn' | 'error'): void;
}

/** A listener pool: supervisord's EventListenerPool. */
export class ListenerPool {
  private readonly procs: ListenerProcess[];
  private readonly buffer: Queued[] = [];
  private readonly holding = new Map<ListenerProcess, Queued>();
  private poolSerial = -1;

  constructor(
    readonly spec: ListenerSpec,
    setup: ListenerSetup,
    private readonly log: PoolLog,
    stderr: (line: string) => void,
  ) {
    const count = Math.max(1, spec.process.instances);
    this.procs = Array.from({ length: count }, (_, i) => {
      const name = count === 1 ? spec.name : (spec.process.instanceNames[i] ?? `${spec.name}_${i}`);
      return new ListenerProcess(spec.name, name, spec.process, i, setup, {
        ready: () => this.dispatch(),
        result: (p, ok) => this.done(p, ok),
        lost: (p) => this.requeue(p),
        log: (m, level) => log(`${name}: ${m}`, level),
        stderr: (line) => stderr(`${name}: ${line}`),
      });
    });
  }

  /** Its processes as supervisorctl lists them. */
  views(): ListenerView[] {
    return this.procs.map((p) => ({ group: this.spec.name, name: p.name, ...p.view() }));
  }

  /** Starts its processes. */
  start(): void {
    for (const p of this.procs) p.start();
  }

  /** Stops its processes; buffered events are dropped. */
  async stop(): Promise<void> {
    this.buffer.length = 0;
    await Promise.all(this.procs.map((p) => p.stop()));
  }

  /** Whether the pool subscribed to events of this type. */
  wants(type: string): boolean {
    return subscribes(this.spec.events, type);
  }

  /** Takes an event if the pool subscribed to its type. */
  offer(ev: SerialEvent): void {
    if (!this.wants(ev.type)) return;
    if (this.buffer.length >= this.spec.bufferSize) {
      const dropped = this.buffer.shift();
      this.log(`event buffer overflowed (buffer_size = ${this.spec.bufferSize}): discarding event ${dropped?.ev.serial ?? '?'}; its listeners are not keeping up`, 'warn');
    }
    this.poolSerial += 1;
    this.buffer.push({ ev, poolSerial: this.poolSerial });
    this.dispatch();
  }

  private dispatch(): void {
    for (const p of this.procs) {
      if (this.buffer.length === 0) return;
      if (p.state !== 'READY') continue;
      const next = this.buffer.shift() as Queued;
      this.holding.set(p, next);
      p.send(envelope(next.ev, next.ev.serial, this.spec.name, next.poolSerial));
    }
  }

  private done(p: ListenerProcess, ok: boolean): void {
    const held = this.holding.get(p);
    this.holding.delete(p);
    if (!ok && held !== undefined) {
      // supervisord's default handler: a rejected event is buffered again, to be sent once more.
      this.log(`${p.name}: rejected event ${held.ev.serial} (${held.ev.type}); it will be sent again`, 'warn');
      this.buffer.unshift(held);
    }
  }

  private requeue(p: ListenerProcess): void {
    const held = this.holding.get(p);
    this.holding.delete(p);
    if (held !== undefined) this.buffer.unshift(held);
  }
}
