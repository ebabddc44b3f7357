// --tyrant (SPEC section 2 and 10): each vassal runs as its file's owner and group. `user` and
// `group` may only repeat what the owner already is: they never raise a vassal's privileges.
import type { VassalSpec } from '../config/spec.ts';
import { groupName, loginGroups, lookupGroup, lookupUser } from '../io/accounts.ts';
import type { FileOwnership } from '../config/file-trust.ts';
import type { ErrorCode } from '../core/errors.ts';

/** The spec with `user`/`group` set to the file's owner, or the problem at the key's line. */
export function asFileOwner(spec: VassalSpec, file: string, owner: FileOwnership): VassalSpec | { line: number; message: string; code: ErrorCode } {
  const account = lookupUser(String(owner.uid));
  const ownerName = account?.known === true ? `${account.name} (uid ${owner.uid})` : `uid ${owner.uid}`;
  if (spec.user !== null) {
    const asked = lookupUser(spec.user);
    if (asked !== null && asked.uid !== owner.uid) {
      return {
        line: spec.lines.user ?? 1,
        code: 'E_TYRANT_REFUSED',
        message: `\`user = ${spec.user}\` is not allowed with --tyrant: ${file} runs as its owner ${ownerName}; remove \`user\`, or chown ${spec.user} ${file}`,
      };
    }
  }
  let gid = owner.gid;
  if (spec.group !== null) {
    const asked = lookupGroup(spec.group);
    // A uid with no passwd entry has no login groups: only the file's own group.
    const allowed = account?.known === true ? [owner.gid, ...loginGroups(account)] : [owner.gid];
    if (asked !== null && (asked === 0 || !allowed.includes(asked))) {
      return {
        line: spec.lines.group ?? 1,
        code: 'E_TYRANT_REFUSED',
        message:
          `\`group = ${spec.group}\` is not allowed with --tyrant: ${ownerName} is not in it` +
          `${asked === 0 ? ' (and no vassal runs with gid 0)' : ''}; remove \`group\` (the file's group ${groupName(owner.gid) ?? owner.gid} applies)`,
      };
    }
    if (asked !== null) gid = asked;
  }
  // A port below 1024 is root's to give: a file its owner controls cannot take one.
  if (spec.socket?.kind === 'tcp' && spec.socket.port < 1024) {
    return {
      line: spec.lines.socket ?? 1,
      code: 'E_TYRANT_REFUSED',
      message: `\`socket\` port ${spec.socket.port} is below 1024: only root may grant one, and with --tyrant this file belongs to ${ownerName}; use a port from 1024`,
    };
  }
  return { ...spec, user: String(owner.uid), group: String(gid) };
}
