// The sources --vassals names, in order (a directory and an etcd source), and what this emperor's
// presence key says of it.
import { isEtcdUrl } from '../config/etcd-url.ts';
import type { FleetHost, StatsDocument } from '../control/protocol.ts';
import type { VassalSource } from '../runtime/emperor-ports.ts';
import { VassalFileReader } from '../runtime/vassal-file-reader.ts';
import type { EmperorSettings } from './emperor-options.ts';
import { directorySource } from './real-ports.ts';

/** Every source of --vassals, the etcd one already built. */
export function sourcesOf(settings: EmperorSettings, etcd: VassalSource, root: boolean, env: Record<string, string | undefined>, warn: (m: string) => void): VassalSource[] {
  return settings.sources.map((text) => (isEtcdUrl(text) ? etcd : directorySource(text, new VassalFileReader(env, warn, { root, tyrant: settings.tyrant }), { root, tyrant: settings.tyrant })));
}

/** The presence key's value: version, pid, metrics address and the totals by state. */
export function fleetValue(doc: StatsDocument, metrics: string): FleetHost {
  const totals = Object.fromEntries(Object.entries(doc.totals).filter(([, n]) => n > 0));
  return { version: doc.version, pid: doc.pid, metrics: metrics === 'off' ? null : metrics, totals };
}
