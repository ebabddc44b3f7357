// The vassal directory as a root emperor must find it: root's, and writable by no one else
// (else anyone could drop in a file that runs as root, or, with --tyrant, as someone else).
import { statSync } from 'node:fs';
import { trustProblem } from '../config/file-trust.ts';
import { groupName, userName } from '../io/accounts.ts';

/** Why a root emperor must not read `dir`, or null. */
export function directoryTrustProblem(dir: string, tyrant: boolean): string | null {
  const st = statSync(dir);
  return trustProblem('directory', dir, st, tyrant, { user: userName, group: groupName });
}
