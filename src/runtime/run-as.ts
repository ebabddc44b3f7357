// Running a vassal as its `user`/`group`: setpriv (util-linux) drops to them, supplementary groups
// as at login, and execs the command, so the vassal's pid is the command's own.
import { accountProblem, loginGroups, lookupGroup, lookupUser } from '../io/accounts.ts';
import type { FsRights } from '../io/fs-rights.ts';
import type { SpawnRequest } from '../io/spawner.ts';

/** The setpriv binary (util-linux, on every Debian system). */
export const SETPRIV = '/usr/bin/setpriv';

/** Wraps a request to run as `user`/`group`; returns the uid the process will have, or an error. */
export function runAs(req: SpawnRequest, user: string | null, group: string | null): { uid: number } | { error: string } {
  const ownUid = process.getuid?.() ?? 0;
  if (user === null && group === null) return { uid: ownUid };
  // Reconcile makes a file with an unknown account INVALID; this covers /etc/passwd changing since.
  const problem = accountProblem(user, group);
  if (problem !== null) return { error: problem };
  const account = user === null ? null : lookupUser(user);
  const gid = group !== null ? lookupGroup(group) : (account?.gid ?? null);
  const args: string[] = [];
  if (account !== null) {
    args.push(`--reuid=${account.uid}`);
    // With a passwd entry, the user's supplementary groups as at login; a bare uid gets none.
    args.push(account.known ? '--init-groups' : '--clear-groups');
    req.env.HOME = account.home;
    req.env.USER = account.name;
    req.env.LOGNAME = account.name;
    req.env.SHELL = account.shell;
  } else {
    args.push('--keep-groups');
  }
  if (gid !== null) args.push(`--regid=${gid}`);
  req.argv = [SETPRIV, ...args, '--', ...req.argv];
  return { uid: account?.uid ?? ownUid };
}

/** The filesystem rights the vassal runs with (for paths opened on its behalf); null: the emperor's own. */
export function vassalRights(spec: { user: string | null; group: string | null }): FsRights | null {
  if (spec.user === null) return null;
  const account = lookupUser(spec.user);
  if (account === null) return null; // INVALID before it gets here
  const gid = spec.group !== null ? (lookupGroup(spec.group) ?? account.gid) : account.gid;
  // As setpriv runs it: login groups with --init-groups, none with --clear-groups (a bare uid).
  const groups = account.known ? loginGroups(account) : [];
  return { name: account.name, uid: account.uid, gid, groups };
}
