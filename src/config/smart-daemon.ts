// The rules every dialect applies to a smart-attached daemon (SPEC section 5): its pidfile and its start time.

import { isAbsolute, normalize } from 'node:path';
import { quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';

/** A daemon's `start-secs` is the time its pidfile has to name a live process: never less than this. */
export const DAEMON_MIN_START_MS = 10_000;

/** The command a daemon line runs: through `/bin/sh -c`, as uWSGI runs it. */
export function shellCommand(command: string): string[] {
  return ['/bin/sh', '-c', command];
}

/** `PIDFILE COMMAND...` -> the first word and the rest of the line, kept verbatim. */
export function splitPidfileLine(value: string): { first: string; rest: string } {
  const trimmed = value.trim();
  const space = trimmed.search(/\s/);
  if (space === -1) return { first: trimmed, rest: '' };
  return { first: trimmed.slice(0, space), rest: trimmed.slice(space).trim() };
}

/** How to write `key = PIDFILE COMMAND...` (uWSGI issue #2561: the pidfile is easy to forget). */
export function firstWordHint(key: string): string {
  return `the first word of ${key} must be the absolute path of the pidfile the daemon writes, e.g. \`${key} = /run/redis.pid redis-server /etc/redis.conf\``;
}

/** The pidfile, normalised, if it is an absolute path; else why not, with `hint`. */
export function checkPidfile(path: string, hint: string): Outcome<string> {
  if (!isAbsolute(path)) return { ok: false, message: `${quote(path)} is not an absolute path; ${hint}` };
  return { ok: true, value: normalize(path) };
}

/** The message when a pidfile line holds no command after the pidfile. */
export function noCommandAfterPidfile(key: string, pidfile: string): string {
  return `no command after the pidfile ${quote(pidfile)}; ${firstWordHint(key)}`;
}

/** The start time of a daemon: the given one, at least DAEMON_MIN_START_MS; `raised` when it was less. */
export function daemonStartSecs(given: number | null): { ms: number; raised: boolean } {
  if (given === null) return { ms: DAEMON_MIN_START_MS, raised: false };
  return given < DAEMON_MIN_START_MS ? { ms: DAEMON_MIN_START_MS, raised: true } : { ms: given, raised: false };
}
