// --web-token FILE: the bearer token that lets the status page act; a file others can read would give it away.
import { readFileSync, statSync } from 'node:fs';

/** The token, or why the file cannot be used (naming the file and the fix). */
export function readWebToken(path: string | null): { ok: true; token: string | null } | { ok: false; message: string } {
  if (path === null) return { ok: true, token: null };
  const make = `write one: (umask 077; head -c 32 /dev/urandom | base64 > ${path})`;
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { ok: false, message: `--web-token ${path} is not a regular file; ${make}` };
    if ((st.mode & 0o077) !== 0) {
      return { ok: false, message: `--web-token ${path} can be read by others (mode ${(st.mode & 0o777).toString(8)}): anyone who reads it can restart your vassals; fix: chmod 600 ${path}` };
    }
    const uid = process.geteuid?.() ?? 0;
    if (st.uid !== uid && st.uid !== 0) return { ok: false, message: `--web-token ${path} belongs to uid ${st.uid}, not to the emperor's user or root; fix: chown ${uid} ${path}` };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, message: `--web-token ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${make}` };
  }
  const token = text.trim();
  if (token === '') return { ok: false, message: `--web-token ${path} is empty; ${make}` };
  if (/\s/.test(token)) return { ok: false, message: `--web-token ${path} holds more than one word; put a single token on one line` };
  return { ok: true, token };
}
