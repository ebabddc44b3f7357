// Whether two socket addresses collide: a new address that needs what an old one still holds.
import type { SocketAddress } from '../config/socket-address.ts';

/** Whether binding `b` would collide with `a` still bound: the same TCP port (any host), or the same path. */
export function socketsClash(a: SocketAddress | null, b: SocketAddress | null): boolean {
  if (a === null || b === null) return false;
  if (a.kind === 'tcp' && b.kind === 'tcp') return a.port === b.port;
  if (a.kind === 'unix' && b.kind === 'unix') return a.path === b.path;
  return false;
}
