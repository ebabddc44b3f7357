// An etcd source, its presence key and `fleet`, built with their real adapters (the client loaded only
// here, only when --vassals names etcd). The last known keys live in the state directory.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkHostName, isEtcdUrl, parseEtcdUrl } from '../config/etcd-url.ts';
import type { FleetDocument, FleetHost } from '../control/protocol.ts';
import type { EventLog } from '../runtime/event-log.ts';
import { EtcdSource, type KeyCache } from '../runtime/etcd-source.ts';
import { PresenceKey, presencePrefix, readFleet } from '../runtime/etcd-presence.ts';
import type { KeyValue } from '../runtime/etcd-vassals.ts';
import type { EmperorSettings } from './emperor-options.ts';
import { nodeTimers } from './real-ports.ts';

/** What the emperor plugs in for etcd. */
export interface EtcdWiring {
  source: EtcdSource;
  presence: PresenceKey;
  fleet(): Promise<FleetDocument>;
}

/** Builds the etcd source of --vassals, or null without one; throws (a message to stop the start) on bad input. */
export async function wireEtcd(settings: EmperorSettings, events: EventLog, root: boolean, value: () => FleetHost): Promise<EtcdWiring | null> {
  const url = settings.sources.find(isEtcdUrl);
  if (url === undefined) return null;
  const parsed = parseEtcdUrl(url);
  if (!parsed.ok) throw new Error(parsed.message);
  if (settings.tyrant) throw new Error('--tyrant runs each vassal as its file\'s owner, and a key has no owner: an etcd source is refused under --tyrant');
  const host = settings.hostName ?? hostname();
  const checked = checkHostName(host);
  if (!checked.ok) throw new Error(checked.message);
  const address = parsed.value;
  const { openEtcd } = await import('../io/etcd-client.ts');
  const conn = await openEtcd({ endpoints: address.endpoints, ...settings.etcd });
  const first = await within(conn.list(`${presencePrefix(address.prefix)}${host}`), 2500);
  // A definite no from the cluster (wrong password, a user without rights) is bad input: the start stops.
  if (first instanceof Error) {
    conn.close();
    throw new Error(refusalMessage(url, first, settings.etcd.auth));
  }
  const holder = first === 'late' || first === 'unreachable' ? null : first;
  if (holder === null) {
    events.write({ level: 'error', message: `etcd source ${url} cannot be reached at start: running the last known set and the directory, and trying again` });
  } else if (holder.kvs.length > 0) {
    const held = parseHolder(holder.kvs[0]?.value.toString('utf8') ?? '');
    conn.close();
    throw new Error(`another emperor is live as host ${host} under ${url} (${held}); stop it, or give this one its own --host-name`);
  }
  const source = new EtcdSource({
    address,
    host,
    connect: () => Promise.resolve(conn),
    cache: fileCache(join(settings.stateDir, `etcd-${address.prefix.replaceAll('/', '_')}-${host}.json`)),
    timers: nodeTimers,
    random: Math.random,
    env: process.env,
    trust: { root, allowRoot: settings.etcd.allowRoot },
    events,
  });
  const presence = new PresenceKey({ prefix: address.prefix, host, ttlSeconds: settings.etcd.leaseTtlS, conn: () => source.connection(), value, timers: nodeTimers, random: Math.random, events });
  return { source, presence, fleet: () => readFleet(conn, address.prefix) };
}

// The holder's address and pid, for the refusal.
function parseHolder(text: string): string {
  try {
    const h = JSON.parse(text) as Partial<FleetHost>;
    return `pid ${h.pid ?? '?'}, metrics ${h.metrics ?? 'off'}`;
  } catch {
    return 'a value not written by an emperor';
  }
}

// The answer; 'late' when etcd does not answer in time; 'unreachable' for any error but a refusal of the
// credentials or rights, which comes back as the error itself.
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'late' | 'unreachable' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    return await Promise.race([p.catch((err: unknown) => (err instanceof Error && isRefusal(err) ? err : ('unreachable' as const))), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** etcd refused who we are or what we may read: retrying cannot help. */
export function isRefusal(err: Error): boolean {
  return /Etcd(AuthenticationFailed|PermissionDenied|UserNotFound|InvalidAuthToken)Error|GRPCUnauthenticated/.test(err.name) ||
    /authentication failed|invalid user ID or password|permission denied|user name not found|user name is empty/i.test(err.message);
}

// The refusal, with the file to fix.
function refusalMessage(url: string, err: Error, authFile: string | null): string {
  const fix = authFile === null
    ? 'the cluster has authentication on: give a user:password file with --etcd-auth FILE'
    : `fix the user and password in --etcd-auth ${authFile}, or grant that user read and write on the prefix`;
  return `etcd source ${url} refused this emperor: ${err.message}; ${fix}`;
}

// The last known keys as a JSON file, replaced atomically on each change.
function fileCache(path: string): KeyCache {
  return {
    load: () => {
      try {
        return JSON.parse(readFileSync(path, 'utf8')) as KeyValue[];
      } catch {
        return null;
      }
    },
    save: (kvs) => {
      writeFileSync(`${path}.tmp`, JSON.stringify(kvs), { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    },
  };
}
