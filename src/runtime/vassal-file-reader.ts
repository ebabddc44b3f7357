// Vassal files as the directory holds them now: read and parsed only when their stamp changed,
// each version numbered, names checked for clashes; what reconcile compares with what runs.
import type { Stats } from 'node:fs';
import { readWalked, unsafeDirectory, walkPath, type Walk } from '../io/trusted-path.ts';
import { sameStamp, type DirEntry, type FileStamp } from '../io/vassal-dir.ts';
import { parseVassalFile, formatProblem } from '../config/parse-file.ts';
import { vassalNameOf } from '../config/vassal-files.ts';
import { compactSpec } from '../config/spec-compact.ts';
import type { ParsedFile } from '../config/spec.ts';
import type { Desired } from '../core/reconcile.ts';
import { describeErrno, errnoOf, type ErrorCode } from '../core/errors.ts';
import { groupName, userName } from '../io/accounts.ts';
import { trustProblem } from '../config/file-trust.ts';
import { asOwner, ownerText, withAccounts } from './vassal-file-accounts.ts';
import { readinessRefusal } from './readiness-setup.ts';

/** Larger vassal files are INVALID, never parsed. */
export const MAX_VASSAL_FILE_BYTES = 1024 * 1024;

// A file as last read: its stamp, and the vassals it asks for (kept for as long as the file is unchanged,
// each desired record the same object from read to read, and the file status of its vassal).
interface CachedFile {
  stamp: FileStamp;
  /** one desired vassal (nearly every file), or any number (a supervisord file's programs; none). */
  desired: Desired | readonly Desired[];
}

/** Who reads: a root emperor trusts only root's files; with --tyrant, files run as their owners. */
export interface ReaderTrust {
  root: boolean;
  tyrant: boolean;
}

const ID_NAMES = { user: userName, group: groupName };

// The same entry objects in the same order.
function sameEntries(a: readonly DirEntry[], b: readonly DirEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads the vassal files of a directory listing into desired vassals, caching by stamp. */
export class VassalFileReader {
  private readonly cache = new Map<string, CachedFile>();
  /** With --tyrant: each file's owner when last read (`uid:gid`). */
  private readonly owners = new Map<string, string>();
  private stamps = 0;
  /** The last listing whose every entry was read from this very version in the cache, and what it gave. */
  private last: { entries: readonly DirEntry[]; desired: readonly Desired[] } | null = null;

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly warn: (message: string) => void,
    private readonly trust: ReaderTrust = { root: false, tyrant: false },
    /** why this emperor cannot honour `notify` (no native helper): such files are INVALID; null: it can. */
    private readonly notifyUnavailable: string | null = null,
  ) {}

  /** The desired vassals of these entries (a name defined twice is an error naming both files). */
  read(entries: DirEntry[]): Desired[] {
    // The same entries (a rescan of an unchanged directory, see VassalLister): the same answer, made again for nothing.
    if (this.last !== null && sameEntries(this.last.entries, entries)) return [...this.last.desired];
    const desired = new Map<string, Desired>();
    const alive = new Set<string>();
    let whole = true;
    for (const entry of entries) {
      alive.add(entry.path);
      const cached = this.parse(entry);
      if (cached?.stamp !== entry.stamp) whole = false;
      if (cached === null) continue;
      for (const d of Array.isArray(cached.desired) ? (cached.desired as readonly Desired[]) : [cached.desired as Desired]) {
        const prior = desired.get(d.name);
        if (prior !== undefined) {
          const error = `${entry.path}:1: vassal name ${d.name} is also defined by ${prior.file}; rename one of the files`;
          desired.set(d.name, { ...prior, spec: null, error, version: `${prior.version}+${d.version}` });
          continue;
        }
        desired.set(d.name, d);
      }
    }
    for (const path of [...this.cache.keys()]) if (!alive.has(path)) this.cache.delete(path);
    for (const path of [...this.owners.keys()]) if (!alive.has(path)) this.owners.delete(path);
    const out = [...desired.values()];
    this.last = whole ? { entries: [...entries], desired: out } : null;
    return [...out];
  }

  // Reads and parses a file when its stamp changed; every new stamp is a new version (a touch too).
  private parse(entry: DirEntry): CachedFile | null {
    const cached = this.cache.get(entry.path);
    if (cached !== undefined && sameStamp(cached.stamp, entry.stamp)) return cached;
    const unusable = (message: string, code: ErrorCode): ParsedFile => ({
      file: entry.path,
      vassals: [],
      problems: [{ file: entry.path, line: 1, message, warning: false, code }],
      dialect: null,
    });
    // The file is read once, from one descriptor, and judged by that descriptor's owner and mode:
    // what is checked is what is parsed, whatever happens to the path meanwhile.
    let file: { stat: Stats; bytes: Buffer };
    let walk: Walk;
    try {
      walk = walkPath(entry.path);
      file = readWalked(walk, MAX_VASSAL_FILE_BYTES + 1);
    } catch (err) {
      const code = errnoOf(err);
      // Vanished or replaced between list and read: the next reconcile decides.
      if (code === 'ENOENT' || code === 'EAGAIN') return cached ?? null;
      return this.keep(entry, unusable(`cannot read the file (${describeErrno(err)}); make it a regular file the emperor can read`, 'E_FILE_UNREADABLE'), false);
    }
    const owner = `${file.stat.uid}:${file.stat.gid}`;
    const formerOwner = this.owners.get(entry.path);
    const through = this.trust.root ? unsafeDirectory(walk, this.trust.tyrant ? file.stat.uid : 0) : null;
    const untrusted = this.trust.root ? trustProblem('file', entry.path, file.stat, this.trust.tyrant, ID_NAMES) : null;
    if (this.trust.tyrant && formerOwner !== undefined && formerOwner !== owner) {
      // uWSGI's tyrant rule: a vassal whose file changes hands stops; it starts as the new owner only
      // once the file is touched (or edited) again, so a chown never silently switches identities.
      this.owners.delete(entry.path);
      const msg = `the file's owner changed from ${ownerText(formerOwner)} to ${ownerText(owner)}; its vassal is stopped. touch ${entry.path} to run it as ${ownerText(owner)}`;
      return this.keep(entry, unusable(msg, 'E_FILE_OWNER_CHANGED'), true);
    }
    if (through !== null) {
      const who = `${userName(through.stat.uid) ?? `uid ${through.stat.uid}`}`;
      return this.keep(entry, unusable(
        `the file is reached through ${through.path}, which someone other than root${this.trust.tyrant ? ' or the file\'s owner' : ''} can change ` +
          `(owner ${who}, mode 0${(through.stat.mode & 0o7777).toString(8)}); make it root's and not writable by others: chown root ${through.path}; chmod go-w ${through.path}`,
        'E_FILE_UNTRUSTED',
      ), false);
    }
    if (untrusted !== null) return this.keep(entry, unusable(untrusted, 'E_FILE_UNTRUSTED'), false);
    if (file.bytes.length > MAX_VASSAL_FILE_BYTES) {
      // Parsing a huge file would hold the event loop (and every vassal's supervision) for seconds.
      return this.keep(entry, unusable(`the file is ${file.stat.size} bytes; a vassal file may hold at most ${MAX_VASSAL_FILE_BYTES} bytes`, 'E_FILE_TOO_LARGE'), false);
    }
    let parsed = withAccounts(parseVassalFile(entry.path, file.bytes.toString('utf8'), this.env));
    if (this.trust.tyrant) {
      parsed = asOwner(parsed, file.stat);
      // The owner counts for the rule above only once a version of the file was usable.
      if (parsed.vassals.length > 0) this.owners.set(entry.path, owner);
    }
    return this.keep(entry, parsed, false);
  }

  private keep(entry: DirEntry, parsed: ParsedFile, stop: boolean): CachedFile {
    const version = `v${++this.stamps}`;
    const errors = parsed.problems.filter((p) => !p.warning).map(formatProblem);
    const names = parsed.vassals.length > 0 ? parsed.vassals.map((s) => s.name) : [vassalNameOf(entry.fileName) ?? entry.fileName];
    // A valid file may define no vassal (a supervisord file of [eventlistener:x] sections only): nothing to run.
    const none = parsed.vassals.length === 0 && errors.length === 0 && parsed.dialect === 'supervisord';
    const desired = (none ? [] : names).map((name): Desired => {
      const found = parsed.vassals.find((s) => s.name === name) ?? null;
      const refused = readinessRefusal(found, this.notifyUnavailable);
      // Kept for as long as the file does not change: the spec holds only what differs from the defaults.
      const spec = refused === null && found !== null && errors.length === 0 ? compactSpec(found) : null;
      const error = errors.length > 0 || refused !== null ? [...errors, ...(refused === null ? [] : [refused])].join('\n') : null;
      // A literal of its six keys (`stop` added only when set): a spread in a literal leaves room for more.
      const d: Desired = { name, file: entry.path, version, spec, error, dialect: parsed.dialect };
      if (stop) d.stop = true;
      return d;
    });
    const fresh: CachedFile = { stamp: entry.stamp, desired: desired.length === 1 ? (desired[0] as Desired) : desired };
    this.cache.set(entry.path, fresh);
    for (const p of parsed.problems) if (p.warning) this.warn(formatProblem(p));
    return fresh;
  }
}
