// The vassal directory: list what is there (following symlinks), and watch it for any change.
import { lstatSync, readdirSync, statSync, watch as watchDir, type Stats } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { vassalNameOf } from '../config/vassal-files.ts';

/** What identifies one version of a file: a change to any of these means it was written or replaced. */
export interface FileStamp {
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  ino: number;
  dev: number;
  /** owner, group and mode: what a root emperor checks before trusting the file. */
  uid: number;
  gid: number;
  mode: number;
}

/** One candidate vassal file. */
export interface DirEntry {
  path: string;
  fileName: string;
  stamp: FileStamp;
}

// The same number, as a small integer where it is one: a stat result's numbers are each a boxed double
// (16 bytes more per field), and a stamp is kept per file for as long as the file is unchanged.
function small(n: number): number {
  return n >= 0 && n <= 0x3fffffff && Number.isInteger(n) ? n | 0 : n;
}

/**
 * A listed file with its stamp in the same object (one object per file, not two): the lister keeps it
 * for as long as the file is unchanged, and the reader's cache holds its stamp.
 */
class ListedFile implements DirEntry, FileStamp {
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly size: number;
  readonly ino: number;
  readonly dev: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;

  constructor(
    readonly path: string,
    readonly fileName: string,
    st: Stats,
  ) {
    this.mtimeMs = st.mtimeMs;
    this.ctimeMs = st.ctimeMs;
    this.size = small(st.size);
    this.ino = small(st.ino);
    this.dev = small(st.dev);
    this.uid = small(st.uid);
    this.gid = small(st.gid);
    this.mode = small(st.mode);
  }

  get stamp(): FileStamp {
    return this;
  }
}

/** True when two stamps describe the same version of a file. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  // A chown or chmod changes ctime, so it is a new version too (trust is checked again).
  return a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.ino === b.ino && a.dev === b.dev && a.uid === b.uid && a.gid === b.gid && a.mode === b.mode;
}

/** Lists the vassal files of a directory, sorted by name; throws when the directory cannot be read. */
export function listVassalFiles(dir: string): DirEntry[] {
  return new VassalLister(dir).list();
}

// True when a stat result describes the version a stamp was taken of (sameStamp without making a stamp).
function stillStamp(a: FileStamp, st: Stats): boolean {
  return a.mtimeMs === st.mtimeMs && a.ctimeMs === st.ctimeMs && a.size === st.size && a.ino === st.ino && a.dev === st.dev && a.uid === st.uid && a.gid === st.gid && a.mode === st.mode;
}

/**
 * Lists a directory's vassal files again and again (the rescan every --rescan-interval): every file is
 * stat'ed each time, and a file whose stamp did not change keeps its entry (the same object), so a rescan
 * of an unchanged directory makes no new path, stamp or entry, and the reader sees at once that nothing changed.
 */
export class VassalLister {
  private known = new Map<string, DirEntry>();

  constructor(private readonly dir: string) {}

  /** The vassal files now, sorted by name; throws when the directory cannot be read. */
  list(): DirEntry[] {
    const out: DirEntry[] = [];
    const next = new Map<string, DirEntry>();
    for (const fileName of readdirSync(this.dir).sort()) {
      const prev = this.known.get(fileName);
      if (prev === undefined && vassalNameOf(fileName) === null) continue;
      const path = prev?.path ?? join(this.dir, fileName);
      let st: Stats;
      try {
        st = statSync(path);
      } catch {
        continue; // vanished, or a dangling symlink
      }
      if (!st.isFile()) continue;
      const entry = prev !== undefined && stillStamp(prev.stamp, st) ? prev : new ListedFile(path, prev?.fileName ?? fileName, st);
      // Keyed by the entry's own name: readdir gives a new copy of every name each time.
      next.set(entry.fileName, entry);
      out.push(entry);
    }
    this.known = next;
    return out;
  }
}

const LISTERS = new Map<string, VassalLister>();

/**
 * The one lister of a directory in this process: the emperor's reconcile and the event listeners' scan
 * share its entries (one path, name and stamp per file, not one each).
 */
export function sharedLister(dir: string): VassalLister {
  let lister = LISTERS.get(dir);
  if (lister === undefined) LISTERS.set(dir, (lister = new VassalLister(dir)));
  return lister;
}

// A regular file itself (not a symlink, not a directory); a path that is gone is not one.
function isPlainFile(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** A running watch; close it on shutdown. */
export interface DirWatch {
  close(): Promise<void>;
}

/**
 * Calls `onChange` on any event in the directory; the caller debounces and reconciles.
 * A plain inotify watch on the directory hears every change to a file in it (chokidar alone drops
 * events for replacements made in quick succession: of four rename-over saves 20 ms apart, it
 * reported two); chokidar follows the symlinked files to their targets, which live elsewhere.
 */
export function watchVassalDir(dir: string, onChange: () => void, onError: (err: Error) => void): DirWatch {
  const watcher: FSWatcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    followSymlinks: true,
    persistent: true,
    atomic: false, // our reconcile already waits before treating a vanished file as removed
    // Plain files are the raw watch's alone (it hears their writes, renames and chmod/chown): chokidar
    // would keep a watch, a stat and listeners per file. It keeps the symlinks, whose targets live elsewhere.
    ignored: (path: string) => isPlainFile(path),
  });
  watcher.on('all', () => onChange());
  // Events before the watcher is ready are lost: look again once it is.
  watcher.on('ready', () => onChange());
  watcher.on('error', (err) => onError(err instanceof Error ? err : new Error(String(err))));
  let raw: ReturnType<typeof watchDir> | null = null;
  try {
    raw = watchDir(dir, { persistent: true }, () => onChange());
    raw.on('error', (err) => onError(err));
  } catch (err) {
    onError(err as Error);
  }
  return {
    async close() {
      raw?.close();
      await watcher.close();
    },
  };
}
