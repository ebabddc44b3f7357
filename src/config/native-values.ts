// Coercions only the native dialect needs: restart policy, accounts, `env` pairs, `depends` lists.

import type { Result } from './result.ts';
import type { RestartPolicy } from './spec.ts';
import { quote } from './problems.ts';
import { VASSAL_NAME } from './vassal-files.ts';

const RESTART_POLICIES: readonly RestartPolicy[] = ['always', 'on-failure', 'never'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `always`, `on-failure` or `never` (any case). */
export function parseRestart(text: string): Result<RestartPolicy> {
  const policy = RESTART_POLICIES.find((p) => p === text.trim().toLowerCase());
  return policy === undefined
    ? { ok: false, message: `expected \`always\`, \`on-failure\` or \`never\`, got ${quote(text)}` }
    : { ok: true, value: policy };
}

/** A user or group name or number, kept as written (the runtime resolves it). */
export function parseAccount(text: string): Result<string> {
  const s = text.trim();
  return /^[^\s:]+$/.test(s)
    ? { ok: true, value: s }
    : { ok: false, message: `expected one user or group name or number, got ${quote(text)}` };
}

/** `KEY=VALUE` -> [KEY, VALUE]; spaces around the `=` are dropped, the value is kept as written (no quote removal). */
export function parseEnvPair(text: string): Result<[string, string]> {
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
export function parseDependsList(text: string, self: string): Result<string[]> {
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
