// Desired vassals of several sources (a directory, etcd) -> one list; a name two sources define is an
// error on that vassal naming both, as two files of one directory are.
import type { Desired } from './reconcile.ts';

/** One source's read: its address (for the clash message) and its desired vassals. */
export interface SourceRead {
  address: string;
  desired: readonly Desired[];
}

/** Merges the sources' desired vassals in order; a clash makes the vassal INVALID, naming both sources. */
export function mergeSources(reads: readonly SourceRead[]): Desired[] {
  if (reads.length === 1) return [...(reads[0]?.desired ?? [])];
  const out = new Map<string, { d: Desired; address: string }>();
  for (const r of reads) {
    for (const d of r.desired) {
      const prior = out.get(d.name);
      if (prior === undefined) {
        out.set(d.name, { d, address: r.address });
        continue;
      }
      const error = `${d.file}:1: vassal name ${d.name} is defined by two sources, ${prior.address} (${prior.d.file}) and ${r.address} (${d.file}); rename or remove one`;
      out.set(d.name, { d: { ...prior.d, spec: null, error, version: `${prior.d.version}+${d.version}` }, address: prior.address });
    }
  }
  return [...out.values()].map((e) => e.d);
}
