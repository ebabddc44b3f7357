// The --supervisor-rpc value: where supervisord's XML-RPC interface listens, as supervisorctl's serverurl names it.
import type { Outcome } from '../core/errors.ts';
import { parseSocketAddress, type SocketAddress } from './socket-address.ts';
import { quote } from './problems.ts';

/** The accepted forms, for every message about a bad value. */
export const SUPERVISOR_RPC_FORMS = '`unix:/PATH` (supervisorctl -s unix:///PATH), `tcp://HOST:PORT` with --supervisor-rpc-auth FILE, or `off`';

/** Parses the value; a TCP address needs credentials (`withAuth`), as supervisord's inet_http_server should have. */
export function parseSupervisorRpc(text: string, withAuth: boolean): Outcome<SocketAddress> {
  const s = text.trim();
  if (!s.startsWith('unix:') && !s.startsWith('tcp://')) return { ok: false, message: `expected ${SUPERVISOR_RPC_FORMS}, got ${quote(text)}` };
  // unix:///run/x.sock, as supervisorctl's serverurl is written, is the same as unix:/run/x.sock.
  const parsed = parseSocketAddress(s.startsWith('unix://') ? `unix:${s.slice('unix://'.length)}` : s);
  if (!parsed.ok) return { ok: false, message: `${parsed.message} (accepted: ${SUPERVISOR_RPC_FORMS})` };
  if (parsed.value.kind === 'tcp' && !withAuth) {
    return { ok: false, message: `${quote(text)} is a TCP address, which anyone who reaches it could use to stop and signal programs; give --supervisor-rpc-auth FILE (one \`user:password\` line, readable by root only), or use \`unix:/PATH\`` };
  }
  return parsed;
}

/** The URL supervisorctl and childutils (SUPERVISOR_SERVER_URL) use for the interface at `a`. */
export function serverUrlOf(a: SocketAddress): string {
  if (a.kind === 'unix') return `unix://${a.path}`;
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
