// Users and groups by name or number, from /etc/passwd and /etc/group (Node has no getpwnam).
import { readFileSync } from 'node:fs';
import type { ErrorCode } from '../core/errors.ts';

/** A user as a vassal runs: ids, home and shell, for setpriv and the environment. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** found in /etc/passwd (a bare uid is not): only then has it login groups. */
  known: boolean;
}

function lines(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** The user named (or numbered) `who`, or null when there is none. */
export function lookupUser(who: string, passwd = '/etc/passwd'): Account | null {
  const numeric = /^\d+$/.test(who);
  for (const f of lines(passwd)) {
    const [name, , uid, gid, , home, shell] = f;
    if (name === undefined || uid === undefined || gid === undefined) continue;
    if (numeric ? uid === who : name === who) return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/', shell: shell ?? '/bin/sh', known: true };
  }
  return numeric ? { name: who, uid: Number(who), gid: Number(who), home: '/', shell: '/bin/sh', known: false } : null;
}

/** The gid of the group named (or numbered) `which`, or null when there is none. */
export function lookupGroup(which: string, group = '/etc/group'): number | null {
  if (/^\d+$/.test(which)) return Number(which);
  for (const f of lines(group)) if (f[0] === which && f[2] !== undefined) return Number(f[2]);
  return null;
}

/** The groups `account` has at login: its primary group and every /etc/group entry naming it. */
export function loginGroups(account: Account, group = '/etc/group'): number[] {
  const out = new Set([account.gid]);
  if (!account.known) return [...out];
  for (const f of lines(group)) {
    if (f[2] !== undefined && (f[3] ?? '').split(',').includes(account.name)) out.add(Number(f[2]));
  }
  return [...out];
}

/** The name of a uid or gid, or null (for messages). */
export function userName(uid: number): string | null {
  const a = lookupUser(String(uid));
  return a?.known === true ? a.name : null;
}

export function groupName(gid: number, group = '/etc/group'): string | null {
  for (const f of lines(group)) if (f[2] === String(gid) && f[0] !== undefined) return f[0];
  return null;
}

/** Why a vassal's `user`/`group` cannot be used, at the line that names it; null when both exist. */
export function accountProblemAt(spec: { user: string | null; group: string | null; lines: Record<string, number> }): { line: number; message: string; code: ErrorCode } | null {
  const message = accountProblem(spec.user, spec.group);
  if (message === null) return null;
  return { line: (spec.user !== null ? spec.lines.user : undefined) ?? spec.lines.group ?? 1, message, code: 'E_ACCOUNT_UNKNOWN' };
}

/** Why a vassal's `user`/`group` cannot be used, or null. */
export function accountProblem(user: string | null, group: string | null): string | null {
  if (user !== null && lookupUser(user) === null) return `unknown user \`${user}\`: no such entry in /etc/passwd; create it (useradd) or fix \`user\``;
  if (group !== null && lookupGroup(group) === null) return `unknown group \`${group}\`: no such entry in /etc/group; create it (groupadd) or fix \`group\``;
  return null;
}
