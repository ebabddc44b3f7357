// Who a vassal file's specs run as: with --tyrant its owner, and the accounts it names must exist.
import type { FileStamp } from '../io/vassal-dir.ts';
import type { ParsedFile } from '../config/spec.ts';
import { accountProblemAt, groupName, userName } from '../io/accounts.ts';
import { asFileOwner } from './tyrant.ts';

/** With --tyrant, each spec runs as the file's owner; `user`/`group` that would differ are problems. */
export function asOwner(parsed: ParsedFile, stamp: FileStamp): ParsedFile {
  const problems: ParsedFile['problems'] = [];
  const vassals = parsed.vassals.flatMap((v) => {
    const r = asFileOwner(v, parsed.file, stamp);
    if ('message' in r) {
      problems.push({ file: parsed.file, line: r.line, message: r.message, warning: false, code: r.code });
      return [];
    }
    return [r];
  });
  return problems.length === 0 ? { ...parsed, vassals } : { ...parsed, vassals: [], problems: [...parsed.problems, ...problems] };
}

/** An unknown `user` or `group` makes the file unusable here (INVALID), at the key's line. */
export function withAccounts(parsed: ParsedFile): ParsedFile {
  const problems = parsed.vassals.flatMap((v) => {
    const at = accountProblemAt(v);
    return at === null ? [] : [{ file: parsed.file, line: at.line, message: at.message, warning: false, code: at.code }];
  });
  return problems.length === 0 ? parsed : { ...parsed, vassals: [], problems: [...parsed.problems, ...problems] };
}

/** `1001:1001` -> `alice:alice` where the names are known. */
export function ownerText(owner: string): string {
  const [uid, gid] = owner.split(':').map(Number);
  return `${userName(uid ?? -1) ?? uid}:${groupName(gid ?? -1) ?? gid}`;
}
