// Acting on files with a vassal's rights (SPEC section 10): a vassal that does not run as root must
// not get the emperor to open, create, rename or read a path it could not itself. The native helper
// switches only the main thread's filesystem uid, gid and groups (setfsuid), around synchronous calls;
// libuv's pool threads keep the emperor's own rights.
import { errnoName, nativeHelper } from './native.ts';
import { EmperorError, failure } from '../core/errors.ts';

/** Whose filesystem rights: ids and supplementary groups as the vassal gets them at spawn. */
export interface FsRights {
  name: string;
  uid: number;
  gid: number;
  groups: number[];
}

/** Runs `fn` (synchronous file calls only) with `who`'s filesystem rights; null or root: the emperor's own. */
export function withRights<T>(who: FsRights | null, fn: () => T): T {
  if (who === null || who.uid === 0 || process.geteuid?.() !== 0) return fn();
  const helper = nativeHelper();
  if (typeof helper === 'string') throw new EmperorError(failure('E_RIGHTS_UNAVAILABLE', `cannot act with ${who.name}'s rights: ${helper}`));
  const errno = helper.setFsCreds(who.uid, who.gid, who.groups);
  if (errno !== 0) throw new EmperorError(failure('E_RIGHTS_UNAVAILABLE', `cannot take ${who.name}'s rights: ${errnoName(errno)}`));
  try {
    return fn();
  } finally {
    const back = helper.restoreFsCreds();
    if (back !== 0) {
      // The main thread would go on acting as the vassal: nothing after this could be trusted.
      process.stderr.write(`emperor: fatal: cannot restore the emperor's own file rights after acting as ${who.name} (${errnoName(back)})\n`);
      process.abort();
    }
  }
}

/** ` as NAME` for messages about a path opened with someone's rights; '' for the emperor's own. */
export function asWho(who: FsRights | null): string {
  return who === null || who.uid === 0 || process.geteuid?.() !== 0 ? '' : ` as ${who.name}`;
}
