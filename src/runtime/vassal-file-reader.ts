// Vassal files as the directory holds them now: read and parsed only when their stamp changed,
// each version numbered, names checked for clashes; what reconcile compares with what runs.
import { readFileSync } from 'node:fs';
import { sameStamp, type DirEntry, type FileStamp } from '../io/vassal-dir.ts';
import { parseVassalFile, formatProblem } from '../config/parse-file.ts';
import { vassalNameOf } from '../config/vassal-files.ts';
import type { ParsedFile } from '../config/spec.ts';
import type { Desired } from '../core/reconcile.ts';
import { accountProblemAt } from '../io/accounts.ts';

/** Larger vassal files are INVALID, never parsed. */
export const MAX_VASSAL_FILE_BYTES = 1024 * 1024;

// A file as last read: its stamp, and what parsing it gave.
interface CachedFile {
  stamp: FileStamp;
  version: string;
  parsed: ParsedFile;
}

// An unknown `user` or `group` makes the file unusable here (INVALID), at the key's line.
function withAccounts(parsed: ParsedFile): ParsedFile {
  const problems = parsed.vassals.flatMap((v) => {
    const at = accountProblemAt(v);
    return at === null ? [] : [{ file: parsed.file, line: at.line, message: at.message, warning: false }];
  });
  return problems.length === 0 ? parsed : { ...parsed, vassals: [], problems: [...parsed.problems, ...problems] };
}

/** Reads the vassal files of a directory listing into desired vassals, caching by stamp. */
export class VassalFileReader {
  private readonly cache = new Map<string, CachedFile>();
  private stamps = 0;

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly warn: (message: string) => void,
  ) {}

  /** The desired vassals of these entries (a name defined twice is an error naming both files). */
  read(entries: DirEntry[]): Desired[] {
    const desired = new Map<string, Desired>();
    const alive = new Set<string>();
    for (const entry of entries) {
      alive.add(entry.path);
      const parsed = this.parse(entry);
      if (parsed === null) continue;
      const { version } = parsed;
      const errors = parsed.parsed.problems.filter((p) => !p.warning).map(formatProblem);
      const names = parsed.parsed.vassals.length > 0 ? parsed.parsed.vassals.map((s) => s.name) : [vassalNameOf(entry.fileName) ?? entry.fileName];
      for (const name of names) {
        const spec = parsed.parsed.vassals.find((s) => s.name === name) ?? null;
        const prior = desired.get(name);
        if (prior !== undefined) {
          const error = `${entry.path}:1: vassal name ${name} is also defined by ${prior.file}; rename one of the files`;
          desired.set(name, { ...prior, spec: null, error, version: `${prior.version}+${version}` });
          continue;
        }
        desired.set(name, { name, file: entry.path, version, spec: errors.length > 0 ? null : spec, error: errors.length > 0 ? errors.join('\n') : null });
      }
    }
    for (const path of [...this.cache.keys()]) if (!alive.has(path)) this.cache.delete(path);
    return [...desired.values()];
  }

  // Reads and parses a file when its stamp changed; every new stamp is a new version (a touch too).
  private parse(entry: DirEntry): CachedFile | null {
    const cached = this.cache.get(entry.path);
    if (cached !== undefined && sameStamp(cached.stamp, entry.stamp)) return cached;
    const unusable = (message: string): ParsedFile => ({
      file: entry.path,
      vassals: [],
      problems: [{ file: entry.path, line: 1, message, warning: false }],
      dialect: null,
    });
    let parsed: ParsedFile;
    if (entry.stamp.size > MAX_VASSAL_FILE_BYTES) {
      // Parsing a huge file would hold the event loop (and every vassal's supervision) for seconds.
      parsed = unusable(`the file is ${entry.stamp.size} bytes; a vassal file may hold at most ${MAX_VASSAL_FILE_BYTES} bytes`);
    } else {
      let text: string;
      try {
        text = readFileSync(entry.path, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return cached ?? null; // vanished between list and read: the next reconcile decides
        text = '';
        parsed = unusable(`cannot read the file (${code ?? (err as Error).message}); make it readable by the emperor`);
      }
      parsed ??= withAccounts(parseVassalFile(entry.path, text, this.env));
    }
    const fresh: CachedFile = { stamp: entry.stamp, version: `v${++this.stamps}`, parsed };
    this.cache.set(entry.path, fresh);
    for (const p of parsed.problems) if (p.warning) this.warn(formatProblem(p));
    return fresh;
  }
}
