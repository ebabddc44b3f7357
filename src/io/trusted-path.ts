// Resolving a vassal file's path the way a root emperor can trust (as OpenSSH's StrictModes does):
// every directory the lookup passes through, symlinks followed one at a time, must be changeable by
// no one but root (or, with --tyrant, the file's owner). Then nobody else can swap what the path
// names between the check and the read.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { readRegularFile } from './regular-file.ts';
import { isAbsolute, join } from 'node:path';

/** Symlinks followed at most (the kernel's own limit is 40). */
const MAX_LINKS = 40;

/** The file a path leads to, and every directory whose entries decided it. */
export interface Walk {
  final: string;
  finalStat: Stats;
  dirs: Array<{ path: string; stat: Stats }>;
}

/** Follows `path` component by component (lstat, readlink); throws what lstat throws. */
export function walkPath(path: string): Walk {
  const parts = path.split('/');
  const dirs: Walk['dirs'] = [{ path: '/', stat: lstatSync('/') }];
  let cur = '/';
  let links = 0;
  for (;;) {
    const c = parts.shift();
    if (c === undefined) throw Object.assign(new Error(`${path} names a directory`), { code: 'EISDIR' });
    if (c === '' || c === '.') continue;
    if (c === '..') {
      cur = cur === '/' ? '/' : cur.slice(0, cur.lastIndexOf('/')) || '/';
      continue;
    }
    const next = join(cur, c);
    const st = lstatSync(next);
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw Object.assign(new Error(`too many symlinks in ${path}`), { code: 'ELOOP' });
      const target = readlinkSync(next);
      parts.unshift(...target.split('/'));
      if (isAbsolute(target)) cur = '/';
      continue;
    }
    if (parts.every((p) => p === '' || p === '.')) return { final: next, finalStat: st, dirs };
    if (!st.isDirectory()) throw Object.assign(new Error(`${next} is not a directory`), { code: 'ENOTDIR' });
    cur = next;
    if (!dirs.some((d) => d.path === cur)) dirs.push({ path: cur, stat: st });
  }
}

/** A directory only root (or `owner`) can change: theirs, and not writable by others unless sticky. */
export function safeDirectory(st: Stats, owner: number): boolean {
  if (st.uid !== 0 && st.uid !== owner) return false;
  return (st.mode & 0o022) === 0 || (st.mode & 0o1000) !== 0;
}

/** The first directory of a walk that someone other than root (or `owner`) could change, or null. */
export function unsafeDirectory(walk: Walk, owner: number): { path: string; stat: Stats } | null {
  return walk.dirs.find((d) => !safeDirectory(d.stat, owner)) ?? null;
}

/** Reads at most `max` bytes of the file `walk` found, checking it is still the file that was walked. */
export function readWalked(walk: Walk, max: number): { stat: Stats; bytes: Buffer } {
  return readRegularFile(walk.final, max, { noFollow: true, same: walk.finalStat });
}
