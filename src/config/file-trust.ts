// Which vassal files a root emperor may act on (SPEC section 10): a file anyone but root can change
// would let them run anything as root. With --tyrant a file runs as its owner, who is never root.

/** What the check needs of a stat result. */
export interface FileOwnership {
  uid: number;
  gid: number;
  mode: number;
}

/** Names for ids in messages (`uid 1001 (alice)`). */
export interface IdNames {
  user(uid: number): string | null;
  group(gid: number): string | null;
}

const who = (id: number, name: string | null, kind: 'uid' | 'gid'): string => `${kind} ${id}${name !== null ? ` (${name})` : ''}`;

// `group`, `others` or `group and others`, for the write bits in a mode; null when neither.
function writers(mode: number): string | null {
  const g = (mode & 0o020) !== 0;
  const o = (mode & 0o002) !== 0;
  return g && o ? 'group and others' : g ? 'group' : o ? 'others' : null;
}

const octal = (mode: number): string => `0${(mode & 0o7777).toString(8)}`;

/**
 * Why a root emperor must not use this vassal file (or, with `kind` directory, the vassal
 * directory), with the command that fixes it; null when it may. Only meaningful when the emperor is root.
 */
export function trustProblem(kind: 'file' | 'directory', path: string, st: FileOwnership, tyrant: boolean, names: IdNames): string | null {
  const what = kind === 'file' ? 'the file' : `the vassal directory ${path}`;
  const w = writers(st.mode);
  if (kind === 'directory' || !tyrant) {
    if (st.uid !== 0) return `${what} is owned by ${who(st.uid, names.user(st.uid), 'uid')}, not root; as root the emperor only runs what root owns: chown root ${path}`;
    if (w !== null) return `${what} is writable by ${w} (mode ${octal(st.mode)}), who could run anything as root through it: chmod go-w ${path}`;
    return null;
  }
  // --tyrant: the file runs as its owner and group, never as root.
  if (st.uid === 0) return `the file is owned by root; with --tyrant a vassal runs as its file's owner and never as root: chown USER:GROUP ${path}`;
  if (st.gid === 0) return `the file's group is root (gid 0); with --tyrant a vassal never runs with gid 0: chgrp GROUP ${path}`;
  if (w !== null) return `the file is writable by ${w} (mode ${octal(st.mode)}), who could run anything as its owner through it: chmod go-w ${path}`;
  return null;
}
