// `--vassals etcd://HOST:PORT[,HOST:PORT...]/PREFIX` -> the endpoints and the key prefix; and the host
// name an emperor reads its own keys under (a key segment).
import type { Outcome } from '../core/errors.ts';

/** The accepted form, for every message about a bad URL. */
export const ETCD_URL_FORM = 'etcd://HOST:PORT[,HOST:PORT...]/PREFIX, e.g. etcd://127.0.0.1:2379/emperor';

/** An etcd source: where, and under which key prefix (no leading or trailing `/`). */
export interface EtcdAddress {
  /** `HOST:PORT` each. */
  endpoints: string[];
  prefix: string;
  /** as given, for messages and the stats. */
  text: string;
}

/** True when `--vassals` names an etcd source rather than a directory. */
export function isEtcdUrl(text: string): boolean {
  return /^etcd:/i.test(text);
}

const ENDPOINT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const PREFIX = /^[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*$/;

/** Parses an etcd:// URL; the message names the accepted form. */
export function parseEtcdUrl(text: string): Outcome<EtcdAddress> {
  const bad = (why: string): Outcome<EtcdAddress> => ({ ok: false, message: `${text}: ${why}; the form is ${ETCD_URL_FORM}`, code: 'E_ETCD_URL' });
  if (!text.startsWith('etcd://')) return bad('an etcd source starts with etcd://');
  const rest = text.slice('etcd://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return bad('no key prefix after the hosts');
  const hosts = rest.slice(0, slash).split(',');
  for (const h of hosts) {
    const m = ENDPOINT.exec(h);
    if (m === null) return bad(h === '' ? 'no HOST:PORT' : `${h} is not HOST:PORT`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) return bad(`port ${port} is out of range`);
  }
  const prefix = rest.slice(slash + 1).replace(/\/+$/, '');
  if (prefix === '') return bad('the key prefix is empty');
  if (!PREFIX.test(prefix)) return bad(`the key prefix ${prefix} may hold only letters, digits, \`_\`, \`.\`, \`@\`, \`-\` and \`/\` between segments`);
  return { ok: true, value: { endpoints: hosts, prefix, text } };
}

const HOST_NAME = /^[A-Za-z0-9_.@-]{1,253}$/;

/** Checks a host name (--host-name, or the machine's) as one key segment. */
export function checkHostName(name: string): Outcome<string> {
  if (HOST_NAME.test(name) && name !== '.' && name !== '..') return { ok: true, value: name };
  return { ok: false, message: `host name ${JSON.stringify(name)} cannot be an etcd key segment: use letters, digits, \`_\`, \`.\`, \`@\` and \`-\` only (set --host-name)`, code: 'E_USAGE' };
}
