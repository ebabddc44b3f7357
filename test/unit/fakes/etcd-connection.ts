// A fake etcd behind the EtcdConnection port: keys with revisions, watches the test drives, and a switch
// that makes every call fail (the cluster gone).
import type { EtcdConnection, EtcdKv, EtcdWatchHandlers } from '../../../src/io/etcd-client.ts';

/** One watch as the source asked for it. */
export interface FakeWatch {
  prefix: string;
  from: number;
  h: EtcdWatchHandlers;
  closed: boolean;
}

/** The fake cluster. */
export class FakeEtcd implements EtcdConnection {
  revision = 1;
  down = false;
  readonly kvs = new Map<string, EtcdKv>();
  readonly watches: FakeWatch[] = [];
  lists: string[] = [];

  /** Puts a key (a new revision) and tells the watches that cover it. */
  put(key: string, value: string): void {
    const kv = { key, value: Buffer.from(value), modRevision: ++this.revision };
    this.kvs.set(key, kv);
    for (const w of this.live(key)) w.h.changes([{ type: 'put', kv }], this.revision);
  }

  /** Deletes a key and tells the watches. */
  del(key: string): void {
    const kv = this.kvs.get(key);
    if (kv === undefined) return;
    this.kvs.delete(key);
    ++this.revision;
    for (const w of this.live(key)) w.h.changes([{ type: 'delete', kv }], this.revision);
  }

  live(key: string): FakeWatch[] {
    return this.watches.filter((w) => !w.closed && key.startsWith(w.prefix));
  }

  list(prefix: string): Promise<{ revision: number; kvs: EtcdKv[] }> {
    this.lists.push(prefix);
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    return Promise.resolve({ revision: this.revision, kvs: [...this.kvs.values()].filter((kv) => kv.key.startsWith(prefix)) });
  }

  watch(prefix: string, from: number, h: EtcdWatchHandlers): Promise<{ close(): Promise<void> }> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    const w: FakeWatch = { prefix, from, h, closed: false };
    this.watches.push(w);
    return Promise.resolve({ close: () => Promise.resolve(void (w.closed = true)) });
  }

  presence(): Promise<never> {
    return Promise.reject(new Error('not in this fake'));
  }

  close(): void {}
}
