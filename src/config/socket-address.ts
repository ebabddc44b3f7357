// The `socket` key: `tcp://HOST:PORT` or `unix:PATH`, the listening socket the emperor holds for a vassal.
import { isAbsolute, normalize } from 'node:path';
import type { Outcome } from '../core/errors.ts';
import { quote } from './problems.ts';

/** A listening address, as the emperor binds it. */
export type SocketAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

const FORMS = '`tcp://HOST:PORT` or `unix:PATH`, e.g. `tcp://127.0.0.1:8080`, `tcp://[::1]:8080` or `unix:/run/app.sock`';

// 4 for a dotted IPv4 address, 6 for an IPv6 one (checked by the WHATWG URL parser), else 0; no I/O here.
function ipFamily(host: string): 0 | 4 | 6 {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(host)) return 4;
  if (!host.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(host)) return 0;
  try {
    new URL(`http://[${host}]/`);
    return 6;
  } catch {
    return 0;
  }
}

/** The address written back the way an operator writes it, for messages and to tell one address from another. */
export function formatSocketAddress(a: SocketAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/** Parses a `socket` value. The host is an IP address (no name lookup: the bind happens at once); the path is absolute. */
export function parseSocketAddress(text: string): Outcome<SocketAddress> {
  const s = text.trim();
  if (s.startsWith('unix:')) {
    const path = s.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') return { ok: false, message: `no path after \`unix:\`; write ${FORMS}` };
    if (!isAbsolute(path)) return { ok: false, message: `${quote(path)} is not an absolute path; write \`unix:/ABSOLUTE/PATH\` (\`%d\` is the file's directory)` };
    if (path.includes('\0')) return { ok: false, message: 'the path holds a NUL byte; write a plain filesystem path' };
    if (Buffer.byteLength(path) > 107) return { ok: false, message: `${quote(path)} is longer than the 107 bytes a Unix socket path may have; choose a shorter path` };
    return { ok: true, value: { kind: 'unix', path: normalize(path) } };
  }
  const m = /^tcp:\/\/(?:\[([^\]]*)\]|([^:/[\]]*)):(\d+)\/?$/i.exec(s);
  if (m === null) return { ok: false, message: `expected ${FORMS}, got ${quote(text)}` };
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (host === '') return { ok: false, message: `no host in ${quote(text)}: give an address, e.g. \`tcp://0.0.0.0:${port}\` for every interface` };
  const family = ipFamily(host);
  if (family === 0) {
    return { ok: false, message: `${quote(host)} is not an IP address: the emperor binds at once, without a name lookup; write e.g. \`tcp://127.0.0.1:${port}\`` };
  }
  if (family === 6 && m[1] === undefined) return { ok: false, message: `put an IPv6 address in brackets: \`tcp://[${host}]:${port}\`` };
  if (port < 1 || port > 65_535) return { ok: false, message: `port ${port} is out of range: a port goes from 1 to 65535` };
  return { ok: true, value: { kind: 'tcp', host, port } };
}
