// The presence key PREFIX/emperors/HOST: leased, so a host that dies disappears when its lease expires.
// Written again at most once a second and only on change; otherwise only lease keep-alives reach etcd.
import type { EtcdConnection, EtcdPresence as LeasedKey } from '../io/etcd-client.ts';
import type { FleetDocument, FleetHost } from '../control/protocol.ts';
import type { EventLog } from './event-log.ts';
import type { Random, TimerHandle, Timers } from './ports.ts';

/** The presence keys live under PREFIX/emperors/. */
export function presencePrefix(prefix: string): string {
  return `${prefix}/emperors/`;
}

/** What the presence key is given. */
export interface PresenceOptions {
  prefix: string;
  host: string;
  ttlSeconds: number;
  conn(): EtcdConnection | null;
  /** the value now (version, totals, metrics address). */
  value(): FleetHost;
  timers: Timers;
  random: Random;
  events: EventLog;
}

/** Keeps this emperor's presence key. */
export class PresenceKey {
  private key: LeasedKey | null = null;
  private busy = false;
  private written = '';
  private tick: TimerHandle | null = null;
  private failures = 0;
  private nextTryAt = 0;
  private ticks = 0;
  private reportedLost = false;

  constructor(private readonly o: PresenceOptions) {}

  /** Starts the once-a-second look (a local comparison; etcd hears of it only on change). */
  start(): void {
    this.tick = this.o.timers.setInterval(() => void this.step(), 1000);
    void this.step();
  }

  private async step(): Promise<void> {
    this.ticks += 1;
    const conn = this.o.conn();
    if (this.busy || conn === null || this.ticks < this.nextTryAt) return;
    const text = JSON.stringify(this.o.value());
    if (this.key !== null && text === this.written) return;
    this.busy = true;
    try {
      if (this.key === null) {
        this.key = await conn.presence(`${presencePrefix(this.o.prefix)}${this.o.host}`, text, this.o.ttlSeconds, (err) => {
          if (!this.reportedLost) this.o.events.warn(`etcd presence key of ${this.o.host} lost (${err.message}); granting a new lease`);
          this.reportedLost = true;
          this.key = null;
        });
        if (this.reportedLost) this.o.events.info(`etcd presence key of ${this.o.host} is back`);
        this.reportedLost = false;
      } else {
        await this.key.put(text);
      }
      this.written = text;
      this.failures = 0;
    } catch {
      this.key = null;
      this.failures += 1;
      // Ticks are seconds: retries back off to at most 5 s.
      this.nextTryAt = this.ticks + Math.min(5, 2 ** (this.failures - 1));
    } finally {
      this.busy = false;
    }
  }

  /** Revokes the lease: a clean stop leaves the fleet at once. */
  async close(): Promise<void> {
    this.o.timers.clearInterval(this.tick);
    const key = this.key;
    this.key = null;
    if (key === null) return;
    // With etcd down the revoke cannot succeed: the lease expires by itself; the stop does not wait.
    let timer: TimerHandle | null = null;
    const late = new Promise<void>((resolve) => {
      timer = this.o.timers.setTimeout(resolve, 1000);
    });
    await Promise.race([key.close().catch(() => {}), late]);
    this.o.timers.clearTimeout(timer);
  }
}

/** Reads every live presence key under the prefix. */
export async function readFleet(conn: EtcdConnection, prefix: string): Promise<FleetDocument> {
  const { kvs } = await conn.list(presencePrefix(prefix));
  const out: FleetDocument = {};
  for (const kv of kvs) {
    const host = kv.key.slice(presencePrefix(prefix).length);
    try {
      out[host] = JSON.parse(kv.value.toString('utf8')) as FleetHost;
    } catch {
      continue; // not written by an emperor
    }
  }
  return out;
}
