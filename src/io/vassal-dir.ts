// The vassal directory: list what is there (following symlinks), and watch it for any change.
import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { isIgnoredFileName } from '../config/vassal-files.ts';

/** What identifies one version of a file: a change to any of these means it was written or replaced. */
export interface FileStamp {
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  ino: number;
  dev: number;
}

/** One candidate vassal file. */
export interface DirEntry {
  path: string;
  fileName: string;
  stamp: FileStamp;
}

/** The stamp of a stat result. */
export function stampOf(st: Stats): FileStamp {
  return { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, size: st.size, ino: st.ino, dev: st.dev };
}

/** True when two stamps describe the same version of a file. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.ino === b.ino && a.dev === b.dev;
}

/** Lists the vassal files of a directory, sorted by name; throws when the directory cannot be read. */
export function listVassalFiles(dir: string): DirEntry[] {
  const out: DirEntry[] = [];
  for (const fileName of readdirSync(dir).sort()) {
    if (isIgnoredFileName(fileName)) continue;
    const path = join(dir, fileName);
    let st: Stats;
    try {
      st = statSync(path);
    } catch {
      continue; // vanished, or a dangling symlink
    }
    if (!st.isFile()) continue;
    out.push({ path, fileName, stamp: stampOf(st) });
  }
  return out;
}

/** Calls `onChange` on any event in the directory; the caller debounces and reconciles. */
export function watchVassalDir(dir: string, onChange: () => void, onError: (err: Error) => void): FSWatcher {
  const watcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    followSymlinks: true,
    persistent: true,
    atomic: false, // our reconcile already waits before treating a vanished file as removed
  });
  watcher.on('all', () => onChange());
  watcher.on('error', (err) => onError(err instanceof Error ? err : new Error(String(err))));
  return watcher;
}
