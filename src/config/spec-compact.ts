// A spec kept for a vassal's life holds only what its file changed: the ~45 keys at their defaults
// (most of them, in most files) are read from one shared prototype, not copied into every vassal.
import type { VassalSpec } from './spec.ts';
import { defaultSpec } from './spec-defaults.ts';

// What every file gives a value of its own; the rest is compared with the defaults.
type Own = 'name' | 'file' | 'dialect' | 'command' | 'directory' | 'lines';

type Defaults = Omit<VassalSpec, Own | 'readiness'>;

// The SPEC defaults once, arrays frozen (a spec's arrays are never changed after parsing).
const DEFAULTS: Readonly<Record<string, unknown>> = (() => {
  const { name: _n, file: _f, dialect: _d, command: _c, directory: _dir, lines: _l, ...rest } = defaultSpec({ name: '', file: '', dialect: 'vassal', command: [], directory: '' });
  const out: Record<string, unknown> = rest;
  for (const [key, value] of Object.entries(out)) if (Array.isArray(value)) out[key] = Object.freeze(value);
  return out;
})();

const DEFAULT_KEYS = Object.keys(DEFAULTS) as Array<keyof Defaults>;

// The six values every spec has as its own (in-object: a constructor of fixed shape); defaults on the prototype.
class SpecRecord {
  constructor(
    readonly name: string,
    readonly file: string,
    readonly dialect: VassalSpec['dialect'],
    readonly command: VassalSpec['command'],
    readonly directory: VassalSpec['directory'],
    readonly lines: VassalSpec['lines'],
  ) {}
}
Object.assign(SpecRecord.prototype, DEFAULTS);

// `lines` objects of the same keys and numbers, shared (most files of a fleet say the same: `command` on line 2).
const LINES = new Map<string, Readonly<Record<string, number>>>();
const MAX_SHARED_LINES = 256;

function sharedLines(lines: Record<string, number>): Record<string, number> {
  const key = JSON.stringify(lines);
  const known = LINES.get(key);
  if (known !== undefined) return known as Record<string, number>;
  if (LINES.size >= MAX_SHARED_LINES) return lines;
  const shared = Object.freeze({ ...lines });
  LINES.set(key, shared);
  return shared;
}

// Programs and directories many vassals of a fleet repeat (`/usr/bin/python3`, the vassal directory), one
// copy each: parsing makes a new string per file. Arguments are not shared: most are a vassal's own, and
// a table entry per unique word would cost more than the copies it saves.
const WORDS = new Map<string, string>();
const MAX_SHARED_WORDS = 1024;
const MAX_SHARED_WORD_LENGTH = 128;

function sharedWord(word: string): string {
  if (word.length > MAX_SHARED_WORD_LENGTH) return word;
  const known = WORDS.get(word);
  if (known !== undefined) return known;
  if (WORDS.size >= MAX_SHARED_WORDS) return word;
  // A copy of its own: a word cut from a longer string (the file's text) would keep all of that alive.
  const own = JSON.parse(JSON.stringify(word)) as string;
  WORDS.set(own, own);
  return own;
}

// Equal to the default: the same value, or an array of the same items.
function isDefault(value: unknown, def: unknown): boolean {
  if (value === def) return true;
  if (!Array.isArray(value) || !Array.isArray(def) || value.length !== def.length) return false;
  return value.every((item, i) => item === def[i]);
}

/**
 * The same spec, read the same (every key, `readiness` too), holding as own properties only the values
 * that differ from the defaults. Never spread the result (`{ ...spec }` copies own properties only).
 */
export function compactSpec(spec: VassalSpec): VassalSpec {
  const command = spec.command.map((word, i) => (i === 0 ? sharedWord(word) : word));
  const out = new SpecRecord(spec.name, spec.file, spec.dialect, command, sharedWord(spec.directory), sharedLines(spec.lines)) as unknown as Record<string, unknown>;
  for (const key of DEFAULT_KEYS) {
    const value = spec[key];
    if (!isDefault(value, DEFAULTS[key])) out[key] = value;
  }
  if (spec.readiness !== undefined) out['readiness'] = spec.readiness;
  return out as unknown as VassalSpec;
}
