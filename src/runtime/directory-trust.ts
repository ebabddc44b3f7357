// The vassal directory as a root emperor must find it: root's, and writable by no one else, and so
// is every directory above it (else anyone could drop in a file that runs as root, or, with
// --tyrant, as someone else, or swap the directory itself).
import { trustProblem } from '../config/file-trust.ts';
import { groupName, userName } from '../io/accounts.ts';
import { safeDirectory, walkPath } from '../io/trusted-path.ts';

/** Why a root emperor must not read `dir`, or null. Throws what lstat throws (a missing directory). */
export function directoryTrustProblem(dir: string, tyrant: boolean): string | null {
  const walk = walkPath(dir);
  const names = { user: userName, group: groupName };
  const own = trustProblem('directory', walk.final, walk.finalStat, tyrant, names);
  if (own !== null) return own;
  for (const d of walk.dirs) {
    if (safeDirectory(d.stat, 0)) continue;
    const problem = trustProblem('directory', d.path, d.stat, tyrant, names);
    return `${problem ?? `${d.path} cannot be trusted`} (it holds the vassal directory ${dir})`;
  }
  return null;
}
