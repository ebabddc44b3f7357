// Keys of an etcd source -> desired vassals, as a directory's files are: a key's last segment is the file
// name, its value the text; read and parsed again only when its revision changed (a touch too).
import { dirname, posix } from 'node:path';
import { parseVassalFile, formatProblem } from '../config/parse-file.ts';
import { vassalNameOf } from '../config/vassal-files.ts';
import type { ParsedFile, VassalSpec } from '../config/spec.ts';
import type { Desired } from '../core/reconcile.ts';
import type { ErrorCode } from '../core/errors.ts';
import { accountProblemAt } from '../io/accounts.ts';
import { MAX_VASSAL_FILE_BYTES } from './vassal-file-reader.ts';

/** One key as the source holds it (in memory and in the state directory). */
export interface KeyValue {
  key: string;
  value: string;
  bytes: number;
  modRevision: number;
}

/** Who reads: as root, a vassal from etcd must name a user other than root unless --etcd-allow-root. */
export interface EtcdTrust {
  root: boolean;
  allowRoot: boolean;
}

interface Cached {
  modRevision: number;
  parsed: ParsedFile;
}

/** Parses the keys of one source; caches by revision; reports a bad key name once. */
export class EtcdVassals {
  private readonly cache = new Map<string, Cached>();
  /** keys whose name is not a vassal file name, for the status. */
  readonly badKeys = new Set<string>();

  constructor(
    private readonly urlBase: string,
    private readonly env: Record<string, string | undefined>,
    private readonly trust: EtcdTrust,
    private readonly report: (message: string) => void,
  ) {}

  /** The desired vassals of these keys, sorted by key (a name defined twice is an error naming both keys). */
  read(kvs: Iterable<KeyValue>): Desired[] {
    const desired = new Map<string, Desired>();
    const alive = new Set<string>();
    for (const kv of [...kvs].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      const fileName = posix.basename(kv.key);
      if (vassalNameOf(fileName) === null) {
        if (!this.badKeys.has(kv.key)) this.report(`etcd key ${kv.key}: ${fileName} is not a vassal file name (NAME.ini or NAME.conf); the key is ignored`);
        this.badKeys.add(kv.key);
        continue;
      }
      alive.add(kv.key);
      const parsed = this.parse(kv);
      const file = `${this.urlBase}/${kv.key}`;
      const version = `r${kv.modRevision}`;
      const errors = parsed.problems.filter((p) => !p.warning).map(formatProblem);
      if (parsed.vassals.length === 0 && errors.length === 0 && parsed.dialect === 'supervisord') continue;
      const names = parsed.vassals.length > 0 ? parsed.vassals.map((s) => s.name) : [vassalNameOf(fileName) ?? fileName];
      for (const name of names) {
        const prior = desired.get(name);
        if (prior !== undefined) {
          const error = `${kv.key}:1: vassal name ${name} is also defined by ${prior.file}; delete or rename one of the keys`;
          desired.set(name, { ...prior, spec: null, error, version: `${prior.version}+${version}` });
          continue;
        }
        const spec = parsed.vassals.find((s) => s.name === name) ?? null;
        desired.set(name, { name, file, version, spec: errors.length > 0 || spec === null ? null : { ...spec, file }, error: errors.length > 0 ? errors.join('\n') : null });
      }
    }
    for (const key of [...this.cache.keys()]) if (!alive.has(key)) this.cache.delete(key);
    return [...desired.values()];
  }

  private parse(kv: KeyValue): ParsedFile {
    const cached = this.cache.get(kv.key);
    if (cached !== undefined && cached.modRevision === kv.modRevision) return cached.parsed;
    const parsed = kv.bytes > MAX_VASSAL_FILE_BYTES
      ? unusable(kv.key, 1, `the value is ${kv.bytes} bytes; a vassal file may hold at most ${MAX_VASSAL_FILE_BYTES} bytes`, 'E_FILE_TOO_LARGE')
      : this.checked(parseVassalFile(kv.key, kv.value, this.env));
    this.cache.set(kv.key, { modRevision: kv.modRevision, parsed });
    return parsed;
  }

  // Directory `/` unless given (a relative one is an error), known accounts, and the root rule.
  private checked(parsed: ParsedFile): ParsedFile {
    const problems: ParsedFile['problems'] = [];
    const keyDir = dirname(parsed.file);
    const vassals = parsed.vassals.map((v): VassalSpec => {
      const line = v.lines.directory ?? 1;
      if (v.directory === keyDir) return { ...v, directory: '/' };
      if (!v.directory.startsWith('/') || (v.lines.directory !== undefined && v.directory.startsWith(posix.resolve(keyDir)))) {
        problems.push(problem(parsed.file, line, `\`directory\` must be absolute in a vassal from etcd (a key has no directory of its own to be relative to); write directory = /ABSOLUTE/PATH`, 'E_VALUE_INVALID'));
      }
      return v;
    });
    for (const v of vassals) {
      const at = accountProblemAt(v);
      if (at !== null) problems.push(problem(parsed.file, at.line, at.message, at.code));
      if (this.trust.root && !this.trust.allowRoot && (v.user === null || v.user === 'root' || v.user === '0')) {
        problems.push(problem(parsed.file, v.lines.user ?? 1, `as root, a vassal from etcd must name a \`user\` other than root (anyone who can write the key could run its command as root); add user = SOMEONE, or start the emperor with --etcd-allow-root`, 'E_ETCD_ROOT'));
      }
    }
    return problems.length === 0 ? { ...parsed, vassals } : { ...parsed, vassals: [], problems: [...parsed.problems, ...problems] };
  }
}

function problem(file: string, line: number, message: string, code: ErrorCode): ParsedFile['problems'][number] {
  return { file, line, message, warning: false, code };
}

function unusable(file: string, line: number, message: string, code: ErrorCode): ParsedFile {
  return { file, vassals: [], problems: [problem(file, line, message, code)], dialect: null };
}
