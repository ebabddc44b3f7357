// Coercions only the native dialect needs: restart policy, accounts, `env` pairs, `depends` lists, health-check URLs.

import type { Outcome } from '../core/errors.ts';
import type { RestartPolicy, Templated } from './spec.ts';
import { INSTANCE_MARK } from './spec.ts';
import { quote } from './problems.ts';
import { VASSAL_NAME } from './vassal-files.ts';

const RESTART_POLICIES: readonly RestartPolicy[] = ['always', 'on-failure', 'never'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `always`, `on-failure` or `never` (any case). */
export function parseRestart(text: string): Outcome<RestartPolicy> {
  const policy = RESTART_POLICIES.find((p) => p === text.trim().toLowerCase());
  return policy === undefined
    ? { ok: false, message: `expected \`always\`, \`on-failure\` or \`never\`, got ${quote(text)}` }
    : { ok: true, value: policy };
}

/** A user or group name or number, kept as written (the runtime resolves it). */
export function parseAccount(text: string): Outcome<string> {
  const s = text.trim();
  return /^[^\s:]+$/.test(s)
    ? { ok: true, value: s }
    : { ok: false, message: `expected one user or group name or number, got ${quote(text)}` };
}

/** `KEY=VALUE` -> [KEY, VALUE]; spaces around the `=` are dropped, the value is kept as written (no quote removal). */
export function parseEnvPair(text: string): Outcome<[string, string]> {
  const eq = text.indexOf('=');
  if (eq === -1) {
    return { ok: false, message: `expected \`KEY=VALUE\`, e.g. \`env = PORT=8080\`, got ${quote(text)}` };
  }
  const key = text.slice(0, eq).trim();
  if (!ENV_NAME.test(key)) {
    return {
      ok: false,
      message: `${quote(key)} is not a valid variable name: use letters, digits and \`_\`, not starting with a digit (\`KEY=VALUE\`)`,
    };
  }
  return { ok: true, value: [key, text.slice(eq + 1).trim()] };
}

/** Vassal names separated by commas or spaces, checked as names; `self` may not be among them. */
export function parseDependsList(text: string, self: string): Outcome<string[]> {
  const names = text.split(/[\s,]+/).filter((n) => n !== '');
  for (const name of names) {
    if (!VASSAL_NAME.test(name)) {
      return {
        ok: false,
        message: `${quote(name)} is not a vassal name: a name is its file name without .ini/.conf, made of letters, digits, \`_\`, \`.\`, \`@\` and \`-\``,
      };
    }
    if (name === self) {
      return { ok: false, message: `\`${self}\` is this vassal itself; a vassal cannot wait for itself, so remove it` };
    }
  }
  if (names.length === 0) return { ok: false, message: 'expected vassal names separated by commas, e.g. `db, cache`' };
  return { ok: true, value: names };
}

const HEALTH_FORMS = '`http://HOST:PORT/PATH` or `tcp://HOST:PORT`';
const HEALTH_EXAMPLES = '`http://127.0.0.1:8080/health` or `tcp://127.0.0.1:5432`';

/**
 * `http://HOST:PORT/PATH` (path optional, `/` by default) or `tcp://HOST:PORT`, IPv6 hosts in brackets;
 * kept as written (trimmed), `%i` included. Checked with the WHATWG URL class, `%i` counted as `0`.
 */
export function parseHealthCheck(text: Templated): Outcome<Templated> {
  const s = text.trim();
  const templated = s.includes(INSTANCE_MARK);
  const probe = templated ? s.split(INSTANCE_MARK).join('0') : s;
  const withZero = templated ? ' (with `%i` as 0, the first instance)' : '';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(probe)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return { ok: false, message: `expected ${HEALTH_FORMS}, e.g. ${HEALTH_EXAMPLES}, got ${quote(text)}` };
  }
  if (scheme !== 'http' && scheme !== 'tcp') {
    const https = scheme === 'https' ? '; to check an HTTPS service, probe its port with `tcp://HOST:PORT`' : '';
    return {
      ok: false,
      message: `\`${scheme}://\` is not supported: only \`http://\` and \`tcp://\` health checks are (${HEALTH_FORMS})${https}`,
    };
  }
  const authority = probe.slice(scheme.length + 3).split(/[/?#]/, 1)[0] ?? '';
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  const afterHost = hostAndPort.startsWith('[') ? hostAndPort.slice(hostAndPort.indexOf(']') + 1) : hostAndPort;
  const port = /:(\d+)$/.exec(afterHost)?.[1];
  if (port === undefined) {
    return { ok: false, message: `no port in ${quote(text)}: write ${HEALTH_FORMS}, e.g. ${HEALTH_EXAMPLES}` };
  }
  if (hostAndPort.length === port.length + 1) {
    return { ok: false, message: `no host in ${quote(text)}: write ${HEALTH_FORMS}, e.g. ${HEALTH_EXAMPLES}` };
  }
  if (Number(port) < 1 || Number(port) > 65_535) {
    return { ok: false, message: `port ${Number(port)}${withZero} is out of range: a port goes from 1 to 65535` };
  }
  let url: URL;
  try {
    url = new URL(probe);
  } catch {
    return {
      ok: false,
      message: `${quote(text)} is not a valid URL: write ${HEALTH_FORMS}, with an IPv6 host in brackets (\`tcp://[::1]:5432\`)`,
    };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, message: `a user or password in the URL is not supported; remove the \`USER@\` part of ${quote(text)}` };
  }
  if (url.hostname === '') {
    return { ok: false, message: `no host in ${quote(text)}: write ${HEALTH_FORMS}, e.g. ${HEALTH_EXAMPLES}` };
  }
  if (scheme === 'tcp' && ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')) {
    return {
      ok: false,
      message: `a \`tcp://\` check only connects, so it takes no path: write \`tcp://HOST:PORT\`, or use \`http://\` to request a path`,
    };
  }
  return { ok: true, value: s };
}
