// Desired vassals (from the directory) against running ones -> the operations that make them agree.
import type { Dialect, VassalSpec } from '../config/spec.ts';
import { classifyChange, type ChangeKind } from './spec-change.ts';

/** How long a vanished file must stay gone before its vassal stops: editors save by unlink then write. */
export const REMOVE_GRACE_MS = 300;

/** One vassal as the directory describes it now. */
export interface Desired {
  name: string;
  file: string;
  /** identifies this version of the file (stamp), to tell a change from no change. */
  version: string;
  spec: VassalSpec | null;
  error: string | null;
  /** unusable in a way that must also stop what runs (with --tyrant, the file changed owner). */
  stop?: boolean;
  /** the dialect whose section the file has, known even when the file is unusable (null: none found). */
  dialect?: Dialect | null;
}

/** One vassal as the emperor runs it. */
export interface Current {
  name: string;
  file: string;
  version: string;
  spec: VassalSpec | null;
  error: string | null;
  removing: boolean;
}

/** What the emperor must do. */
export type Operation =
  | { op: 'add'; desired: Desired }
  | { op: 'change'; desired: Desired & { spec: VassalSpec }; kind: ChangeKind }
  | { op: 'invalid'; desired: Desired }
  | { op: 'remove'; name: string }
  | { op: 'recheck'; afterMs: number };

/** Plans one reconcile; `missingSince` (name -> monotonic ms) is updated in place. */
export function planReconcile(
  desired: readonly Desired[],
  current: readonly Current[],
  missingSince: Map<string, number>,
  now: number,
): Operation[] {
  const ops: Operation[] = [];
  const byName = new Map(current.map((c) => [c.name, c]));
  const seen = new Set<string>();
  for (const d of desired) {
    seen.add(d.name);
    missingSince.delete(d.name);
    const c = byName.get(d.name);
    if (c === undefined) {
      ops.push({ op: 'add', desired: d });
      continue;
    }
    if (c.removing) continue; // re-planned once its stop completes
    if (d.spec === null) {
      if (d.error !== c.error || d.version !== c.version) ops.push({ op: 'invalid', desired: d });
      continue;
    }
    if (d.version === c.version && c.error === null && d.file === c.file) continue;
    const kind: ChangeKind = c.spec === null ? 'restart' : classifyChange(c.spec, d.spec);
    ops.push({ op: 'change', desired: { ...d, spec: d.spec }, kind });
  }
  let recheck = Infinity;
  for (const c of current) {
    if (seen.has(c.name) || c.removing) continue;
    const since = missingSince.get(c.name) ?? now;
    missingSince.set(c.name, since);
    if (now - since >= REMOVE_GRACE_MS) {
      missingSince.delete(c.name);
      ops.push({ op: 'remove', name: c.name });
    } else {
      recheck = Math.min(recheck, since + REMOVE_GRACE_MS - now);
    }
  }
  for (const name of [...missingSince.keys()]) if (!byName.has(name)) missingSince.delete(name);
  if (recheck !== Infinity) ops.push({ op: 'recheck', afterMs: Math.max(1, Math.ceil(recheck)) });
  return ops;
}
