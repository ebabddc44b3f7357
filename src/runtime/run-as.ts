// Who a vassal with `user`/`group` runs as, looked up once per spawn from /etc/passwd and /etc/group;
// spawn-plan turns it into setpriv's options and the rights its files are opened with.
import { accountProblem, loginGroups, lookupGroup, lookupUser } from '../io/accounts.ts';
import type { FsRights } from '../io/fs-rights.ts';
import { fail, type Outcome } from '../core/errors.ts';
import { rightsOf, type RunAs } from './spawn-plan.ts';

/** The accounts of `user`/`group` (null with neither), or why they cannot be used. */
export function lookupRunAs(user: string | null, group: string | null): Outcome<RunAs | null> {
  // Reconcile makes a file with an unknown account INVALID; this covers /etc/passwd changing since.
  const problem = accountProblem(user, group);
  if (problem !== null) return fail('E_ACCOUNT_UNKNOWN', problem);
  return { ok: true, value: accounts(user, group) };
}

/** The filesystem rights the vassal runs with (for paths opened on its behalf); null: the emperor's own. */
export function vassalRights(spec: { user: string | null; group: string | null }): FsRights | null {
  return spec.user === null ? null : rightsOf(accounts(spec.user, spec.group));
}

function accounts(user: string | null, group: string | null): RunAs | null {
  if (user === null && group === null) return null;
  const account = user === null ? null : lookupUser(user);
  const gid = (group !== null ? lookupGroup(group) : null) ?? account?.gid ?? null;
  return { account, gid, loginGroups: account?.known === true ? loginGroups(account) : [] };
}
