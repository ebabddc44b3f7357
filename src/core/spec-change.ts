// What a changed vassal file means: a touch, a supervision-only change, or a restart (SPEC section 4).
import { SUPERVISION_KEYS, type VassalSpec } from '../config/spec.ts';

/**
 * `touch`: same meaning, new mtime (or only comments changed); `supervision`: only keys that do not
 * shape the process (instances counts as one: it adds or removes instances, the others carry on);
 * `restart`: anything else.
 */
export type ChangeKind = 'touch' | 'supervision' | 'restart';

const IGNORED: ReadonlySet<string> = new Set(['lines', 'instanceNames']);
const SUPERVISION: ReadonlySet<string> = new Set<string>([...SUPERVISION_KEYS, 'instances']);

/** Classifies the change from one valid spec to the next. */
export function classifyChange(before: VassalSpec, after: VassalSpec): ChangeKind {
  let kind: ChangeKind = 'touch';
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (IGNORED.has(key)) continue;
    const a = JSON.stringify((before as unknown as Record<string, unknown>)[key]);
    const b = JSON.stringify((after as unknown as Record<string, unknown>)[key]);
    if (a === b) continue;
    if (!SUPERVISION.has(key)) return 'restart';
    kind = 'supervision';
  }
  return kind;
}
