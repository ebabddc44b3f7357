// etcd through the `etcd3` client, loaded only when an etcd source is configured (a dynamic import):
// ranges, watches that require a leader, and a leased presence key. No hand-written gRPC.
import { readFileSync } from 'node:fs';

/** One key as etcd holds it. */
export interface EtcdKv {
  key: string;
  value: Buffer;
  modRevision: number;
}

/** One change a watch reports. */
export interface EtcdChange {
  type: 'put' | 'delete';
  kv: EtcdKv;
}

/** What a watch tells its owner. */
export interface EtcdWatchHandlers {
  /** a batch of changes, and the revision they bring the watched range to. */
  changes(changes: EtcdChange[], revision: number): void;
  /** the stream broke (etcd unreachable, no leader); the client re-creates it from the last revision. */
  disconnected(err: Error): void;
  /** the stream is back. */
  connected(): void;
  /** the watch was cancelled (compaction among others): the owner lists again. */
  failed(err: Error): void;
}

/** A leased key kept alive by keep-alives alone. */
export interface EtcdPresence {
  /** writes a new value under the same lease. */
  put(value: string): Promise<void>;
  /** revokes the lease (the key goes at once). */
  close(): Promise<void>;
}

/** The operations an etcd source and the fleet view need: the port runtime code sees. */
export interface EtcdConnection {
  list(prefix: string): Promise<{ revision: number; kvs: EtcdKv[] }>;
  watch(prefix: string, fromRevision: number, h: EtcdWatchHandlers): Promise<{ close(): Promise<void> }>;
  /** puts `key` = `value` under a fresh lease of `ttlSeconds`, kept alive; `lost` when it cannot be. */
  presence(key: string, value: string, ttlSeconds: number, lost: (err: Error) => void): Promise<EtcdPresence>;
  close(): void;
}

/** How to reach the cluster: --etcd-ca, --etcd-cert, --etcd-key, --etcd-auth (a `user:password` file). */
export interface EtcdConnectOptions {
  endpoints: string[];
  ca: string | null;
  cert: string | null;
  key: string | null;
  auth: string | null;
}

/** Reads the TLS and auth files now (a missing file is an error at start), then makes a client. */
export async function openEtcd(o: EtcdConnectOptions): Promise<EtcdConnection> {
  const credentials = o.ca === null ? undefined : {
    rootCertificate: readOption('--etcd-ca', o.ca),
    ...(o.cert !== null ? { certChain: readOption('--etcd-cert', o.cert) } : {}),
    ...(o.key !== null ? { privateKey: readOption('--etcd-key', o.key) } : {}),
  };
  let auth: { username: string; password: string } | undefined;
  if (o.auth !== null) {
    const text = readOption('--etcd-auth', o.auth).toString('utf8').trim();
    const colon = text.indexOf(':');
    if (colon <= 0) throw new Error(`--etcd-auth ${o.auth}: the file must hold user:password on one line`);
    auth = { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  const { Etcd3 } = await import('etcd3');
  const { ExponentialBackoff } = await import('cockatiel');
  const scheme = credentials === undefined ? 'http' : 'https';
  const client = new Etcd3({
    hosts: o.endpoints.map((e) => `${scheme}://${e}`),
    ...(credentials !== undefined ? { credentials } : {}),
    ...(auth !== undefined ? { auth } : {}),
    dialTimeout: 2000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 3000 }),
    // Reconnects back off up to 5 s: a cluster that returns is noticed within seconds.
    // etcd3 types this slot as a backoff state but calls `.next()` on it first, as on the factory it
    // defaults to (its own default is `new ExponentialBackoff()`): the factory is what it needs.
    faultHandling: { watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5000 }) as never },
  });
  requireLeader(client);
  return {
    list: async (prefix) => {
      const res = await client.getAll().prefix(prefix).exec().catch(plainly);
      return { revision: Number(res.header.revision), kvs: res.kvs.map(kvOf) };
    },
    watch: async (prefix, fromRevision, h) => {
      const w = await client.watch().prefix(prefix).startRevision(String(fromRevision)).create();
      w.on('data', (res) => {
        const changes = res.events.map((e) => ({ type: e.type === 'Delete' ? ('delete' as const) : ('put' as const), kv: kvOf(e.kv) }));
        if (changes.length > 0) h.changes(changes, Number(res.header.revision));
      });
      w.on('disconnected', (err) => h.disconnected(err));
      w.on('connected', () => h.connected());
      w.on('error', (err) => h.failed(err));
      return { close: () => w.cancel() };
    },
    presence: async (key, value, ttlSeconds, lost) => {
      const lease = client.lease(ttlSeconds, { autoKeepAlive: true });
      lease.on('lost', (err) => lost(plain(err)));
      await lease.put(key).value(value).exec().catch(plainly);
      return {
        put: async (v) => void (await lease.put(key).value(v).exec()),
        close: () => lease.revoke(),
      };
    },
    close: () => client.close(),
  };
}

// Every call carries `hasleader: true`: a member cut off from its cluster refuses the call (and ends a
// watch) instead of serving a stream that silently stalls (what sank CoreOS fleet). etcd3 has no
// option for it, so its metadata source is wrapped.
function requireLeader(client: object): void {
  // The pool and its authenticator are private in etcd3's types; their shape is checked here.
  const pool = (client as { pool?: { authenticator?: { getMetadata?: () => Promise<Metadata> } } }).pool;
  const auth = pool?.authenticator;
  const original = auth?.getMetadata?.bind(auth);
  if (auth === undefined || original === undefined) return;
  auth.getMetadata = async () => {
    const m = (await original()).clone();
    m.set('hasleader', 'true');
    return m;
  };
}

// An option's file, or an error naming the option and the file.
function readOption(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${option} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix the path or the file's rights`);
  }
}

// etcd3's open circuit breaker (every member failed lately) said in the operator's words.
function plain(err: Error): Error {
  return /circuit breaker is open/.test(err.message) ? new Error('no member of the cluster answers (each is tried again after 5 s)', { cause: err }) : err;
}

function plainly(err: Error): never {
  throw plain(err);
}

// grpc's Metadata, as much of it as is used here.
interface Metadata {
  clone(): Metadata;
  set(key: string, value: string): void;
}

function kvOf(kv: { key: Buffer; value: Buffer; mod_revision: string }): EtcdKv {
  return { key: kv.key.toString('utf8'), value: kv.value, modRevision: Number(kv.mod_revision) };
}
