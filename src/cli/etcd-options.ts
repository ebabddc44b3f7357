// --vassals (repeatable: directories and etcd:// URLs), --host-name and the --etcd-* options, checked
// at start: a malformed URL stops the start with the accepted form.
import { resolve } from 'node:path';
import { checkHostName, isEtcdUrl, parseEtcdUrl } from '../config/etcd-url.ts';
import { parseDuration } from '../config/values.ts';
import type { EmperorSettings } from './emperor-options.ts';

/** Throws the caller's usage error (emperor-options.ts passes its own: no import cycle). */
export type Bad = (message: string, code?: 'E_USAGE' | 'E_ETCD_URL') => never;

const FALSE = ['false', 'no', 'off', '0'];

/** `vassals` (the first directory) and `sources` (every --vassals, in order). */
export function vassalSources(given: Map<string, string>, bad: Bad): Pick<EmperorSettings, 'vassals' | 'sources'> {
  const texts = (given.get('vassals') ?? '/etc/emperor/vassals').split('\n').filter((t) => t !== '');
  const sources: string[] = [];
  let etcd = 0;
  for (const t of texts) {
    if (!isEtcdUrl(t)) {
      sources.push(resolve(t));
      continue;
    }
    const parsed = parseEtcdUrl(t);
    if (!parsed.ok) bad(`--vassals ${parsed.message}`, 'E_ETCD_URL');
    etcd += 1;
    sources.push(t);
  }
  const dirs = sources.filter((s) => !isEtcdUrl(s));
  if (dirs.length > 1) bad(`--vassals: one directory at most (given: ${dirs.join(', ')}); combine a directory with etcd:// sources`);
  if (etcd > 1) bad('--vassals: one etcd:// source at most; list every member of the cluster in it: etcd://H1:P1,H2:P2/PREFIX');
  // With etcd alone, the event listeners still look at the default directory (absent: nothing to do).
  return { vassals: dirs[0] ?? '/etc/emperor/vassals', sources };
}

/** `hostName` and `etcd` (the --etcd-* options need an etcd source). */
export function etcdSettings(given: Map<string, string>, bad: Bad): Pick<EmperorSettings, 'hostName' | 'etcd'> {
  const hasEtcd = (given.get('vassals') ?? '').split('\n').some(isEtcdUrl);
  const path = (name: string): string | null => (given.has(name) ? resolve(given.get(name) ?? '') : null);
  const names = ['host-name', 'etcd-ca', 'etcd-cert', 'etcd-key', 'etcd-auth', 'etcd-lease-ttl', 'etcd-allow-root'];
  if (!hasEtcd) for (const n of names) if (given.has(n)) bad(`--${n} needs an etcd source: --vassals etcd://HOST:PORT/PREFIX`);
  const hostName = given.get('host-name') ?? null;
  if (hostName !== null) {
    const ok = checkHostName(hostName);
    if (!ok.ok) bad(`--host-name: ${ok.message}`);
  }
  if ((given.has('etcd-cert') || given.has('etcd-key')) && !given.has('etcd-ca')) bad('--etcd-cert and --etcd-key need --etcd-ca (the cluster\'s CA: TLS)');
  if (given.has('etcd-cert') !== given.has('etcd-key')) bad('--etcd-cert and --etcd-key go together (the client certificate and its key)');
  const ttl = parseDuration(given.get('etcd-lease-ttl') ?? '10s');
  if (!ttl.ok) bad(`--etcd-lease-ttl: ${ttl.message}`);
  if (ttl.value < 1000) bad('--etcd-lease-ttl must be 1s or more (whole seconds)');
  const allow = given.get('etcd-allow-root');
  return {
    hostName,
    etcd: {
      allowRoot: allow !== undefined && !FALSE.includes(allow.toLowerCase()),
      ca: path('etcd-ca'),
      cert: path('etcd-cert'),
      key: path('etcd-key'),
      auth: path('etcd-auth'),
      leaseTtlS: Math.round(ttl.value / 1000),
    },
  };
}
