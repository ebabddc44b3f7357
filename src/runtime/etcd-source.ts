// An etcd source: keys under PREFIX/all/ and PREFIX/hosts/HOST/ are vassal files. Listed, then watched
// from the list's revision + 1; a cancelled watch (compaction) lists again. Losing etcd never stops a
// vassal: the last known set is kept (and saved in the state directory), and the source reconnects
// with backoff capped at 5 s.
import type { EtcdConnection, EtcdKv } from '../io/etcd-client.ts';
import type { DirWatch } from '../io/vassal-dir.ts';
import type { EtcdAddress } from '../config/etcd-url.ts';
import type { Desired } from '../core/reconcile.ts';
import type { EventLog } from './event-log.ts';
import type { SourceHealth, VassalSource } from './emperor-ports.ts';
import type { Random, TimerHandle, Timers } from './ports.ts';
import { EtcdVassals, type EtcdTrust, type KeyValue } from './etcd-vassals.ts';

/** Reconnects wait at most this long. */
export const ETCD_BACKOFF_CAP_MS = 5000;

/** The last known keys, kept in the state directory (an emperor restarted while etcd is down runs them). */
export interface KeyCache {
  load(): KeyValue[] | null;
  save(kvs: KeyValue[]): void;
}

/** What an etcd source is given. */
export interface EtcdSourceOptions {
  address: EtcdAddress;
  host: string;
  connect(): Promise<EtcdConnection>;
  cache: KeyCache;
  timers: Timers;
  random: Random;
  env: Record<string, string | undefined>;
  trust: EtcdTrust;
  events: EventLog;
}

/** The etcd adapter of a vassal source. */
export class EtcdSource implements VassalSource {
  private readonly kvs = new Map<string, KeyValue>();
  private readonly vassals: EtcdVassals;
  private conn: EtcdConnection | null = null;
  private watches: Array<{ close(): Promise<void> }> = [];
  private onChange: () => void = () => {};
  private healthy = false;
  private detail: string | null = 'connecting';
  private failures = 0;
  private retry: TimerHandle | null = null;
  private closed = false;
  private generation = 0;
  /** the loss was reported (once per loss). */
  private reportedDown = false;
  /** the revisions last seen per watched prefix (for the stats). */
  revision = 0;

  constructor(private readonly o: EtcdSourceOptions) {
    this.vassals = new EtcdVassals(`etcd://${o.address.endpoints.join(',')}`, o.env, o.trust, (m) => o.events.write({ level: 'warn', message: m }));
    for (const kv of o.cache.load() ?? []) this.kvs.set(kv.key, kv);
    if (this.kvs.size > 0) this.detail = `connecting; running the last known set (${this.kvs.size} keys)`;
  }

  /** The two prefixes this emperor reads: never the whole prefix. */
  get prefixes(): string[] {
    return [`${this.o.address.prefix}/all/`, `${this.o.address.prefix}/hosts/${this.o.host}/`];
  }

  read(): Desired[] {
    return this.vassals.read(this.kvs.values());
  }

  health(): SourceHealth {
    const bad = this.vassals.badKeys.size;
    const detail = [this.detail, bad > 0 ? `${bad} key${bad === 1 ? '' : 's'} ignored (not a vassal file name): ${[...this.vassals.badKeys].join(', ')}` : null].filter((x) => x !== null).join('; ');
    return { kind: 'etcd', address: this.o.address.text, healthy: this.healthy, detail: detail === '' ? null : detail };
  }

  watch(onChange: () => void): DirWatch {
    this.onChange = onChange;
    void this.connect();
    return { close: () => this.close() };
  }

  /** The connection, once made (the presence key and `emperorctl fleet` share it). */
  connection(): EtcdConnection | null {
    return this.conn;
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    try {
      this.conn ??= await this.o.connect();
      const lists = await Promise.all(this.prefixes.map((p) => (this.conn as EtcdConnection).list(p)));
      if (this.closed || gen !== this.generation) return;
      this.kvs.clear();
      for (const l of lists) for (const kv of l.kvs) this.put(kv);
      this.revision = Math.max(...lists.map((l) => l.revision));
      this.o.cache.save([...this.kvs.values()]);
      this.onChange();
      await this.closeWatches();
      this.watches = await Promise.all(this.prefixes.map((p, i) => this.watchFrom(p, (lists[i]?.revision ?? 0) + 1, gen)));
      if (!this.healthy) this.o.events.info(`etcd source ${this.o.address.text}: listed ${this.kvs.size} keys at revision ${this.revision}; watching`);
      this.up();
    } catch (err) {
      if (this.closed || gen !== this.generation) return;
      this.down((err as Error).message);
      this.failures += 1;
      const delay = Math.min(ETCD_BACKOFF_CAP_MS, 100 * 2 ** Math.min(this.failures, 10)) * (0.5 + this.o.random() / 2);
      this.retry = this.o.timers.setTimeout(() => void this.connect(), delay);
    }
  }

  private async watchFrom(prefix: string, from: number, gen: number): Promise<{ close(): Promise<void> }> {
    return (this.conn as EtcdConnection).watch(prefix, from, {
      changes: (changes, revision) => {
        if (gen !== this.generation) return;
        for (const c of changes) {
          if (c.type === 'put') this.put(c.kv);
          else this.kvs.delete(c.kv.key);
        }
        this.revision = Math.max(this.revision, revision);
        this.o.cache.save([...this.kvs.values()]);
        this.onChange();
      },
      disconnected: (err) => this.down(err.message),
      connected: () => this.confirm(gen),
      failed: (err) => {
        if (gen !== this.generation) return;
        this.o.events.warn(`etcd source ${this.o.address.text}: the watch ended (${err.message}); listing again`);
        this.healthy = false;
        void this.connect();
      },
    });
  }

  private put(kv: EtcdKv): void {
    this.kvs.set(kv.key, { key: kv.key, value: kv.value.toString('utf8'), bytes: kv.value.length, modRevision: kv.modRevision });
  }

  // A watch stream says it is connected once a member accepted it, which a member that has just lost its
  // leader still does (it cancels the stream seconds later): health is ok only once a read that needs a
  // leader succeeds too, so it does not flap while the cluster has none.
  private confirm(gen: number): void {
    const conn = this.conn;
    if (conn === null) return;
    conn.list(this.prefixes[0] as string).then(
      () => {
        if (!this.closed && gen === this.generation) this.up();
      },
      (err: Error) => {
        if (!this.closed && gen === this.generation) this.down(err.message);
      },
    );
  }

  private up(): void {
    if (this.reportedDown) this.o.events.info(`etcd source ${this.o.address.text} is reachable again; watching from revision ${this.revision + 1}`);
    this.healthy = true;
    this.detail = null;
    this.failures = 0;
    this.reportedDown = false;
  }

  private down(why: string): void {
    const detail = `unreachable (${why}); running the last known set (${this.kvs.size} keys), reconnecting`;
    if (!this.reportedDown) this.o.events.write({ level: 'error', message: `etcd source ${this.o.address.text}: ${detail}` });
    this.reportedDown = true;
    this.healthy = false;
    this.detail = detail;
  }

  private async closeWatches(): Promise<void> {
    const ws = this.watches.splice(0);
    await Promise.all(ws.map((w) => w.close().catch(() => {})));
  }

  private async close(): Promise<void> {
    this.closed = true;
    this.o.timers.clearTimeout(this.retry);
    await this.closeWatches();
    this.conn?.close();
  }
}
