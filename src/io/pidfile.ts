// Pidfiles and the facts that tell a daemon from an impostor: pid, start time, owner, boot.
import { readFileSync } from 'node:fs';
import { readRegularFile } from './regular-file.ts';
import { readProcStat } from './process-group.ts';
import { asWho, withRights, type FsRights } from './fs-rights.ts';
import { describeErrno, errnoOf, type ErrorCode } from '../core/errors.ts';

/** What a pidfile says, and when it was written. */
export type PidfileReading = { ok: true; pid: number; mtimeMs: number } | { ok: false; missing: boolean; message: string; code: ErrorCode };

/** A pidfile holds a pid: more than this is not read (a pidfile naming /dev/zero never fills memory). */
const PIDFILE_MAX_BYTES = 64;

/** Reads a pidfile: a missing file, an empty one and garbage are told apart. */
export function readPidfile(path: string, rights: FsRights | null = null): PidfileReading {
  let text: string;
  let mtimeMs: number;
  try {
    // With the vassal's rights: a pidfile naming /etc/shadow shows nothing of it in an error.
    const read = withRights(rights, () => readRegularFile(path, PIDFILE_MAX_BYTES));
    mtimeMs = read.stat.mtimeMs;
    text = read.bytes.toString('latin1');
  } catch (err) {
    const missing = errnoOf(err) === 'ENOENT';
    return { ok: false, missing, message: missing ? `pidfile ${path} does not exist` : `cannot read pidfile ${path}${asWho(rights)}: ${describeErrno(err)}`, code: 'E_PIDFILE_UNREADABLE' };
  }
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (!/^\d{1,10}$/.test(first) || Number(first) < 1) {
    const shown = text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}...` : JSON.stringify(text);
    return { ok: false, missing: text.trim() === '', message: `pidfile ${path} does not hold a pid: ${shown}`, code: 'E_PIDFILE_UNREADABLE' };
  }
  return { ok: true, pid: Number(first), mtimeMs };
}

/** Boot time in Unix milliseconds, to 10 ms: now less /proc/uptime (btime in /proc/stat is whole seconds). */
export function bootTimeMs(): number {
  const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0] ?? 0);
  return Date.now() - uptime * 1000;
}

/** A live process's identity: its start (Unix ms and raw ticks) and real uid; null when gone or a zombie. */
export interface ProcessIdentity {
  pid: number;
  startTicks: number;
  startMs: number;
  uid: number;
  name: string;
}

/** Reads /proc/PID/stat and /proc/PID/status; clock ticks are 100 per second on Linux. */
export function identify(pid: number, clockTicks = 100, boot = bootTimeMs()): ProcessIdentity | null {
  const st = readProcStat(pid);
  if (st === null || st.state === 'Z' || st.state === 'X') return null;
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null;
  }
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
  return { pid, startTicks: st.startTicks, startMs: boot + (st.startTicks / clockTicks) * 1000, uid, name };
}
