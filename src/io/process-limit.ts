// How close a user is to the process limit its vassals run under: RLIMIT_NPROC counts a user's processes,
// binds every user but root, and a program that hits it only says "Cannot fork" (if anything).
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** The soft "Max processes" of /proc/self/limits (the vassals inherit it); null when unlimited or unreadable. */
export function ownProcessLimit(limits = readProc('/proc/self/limits')): number | null {
  const m = /^Max processes\s+(\S+)/m.exec(limits);
  if (m === null || m[1] === 'unlimited') return null;
  const n = Number(m[1]);
  return Number.isInteger(n) ? n : null;
}

/** How many processes run as `uid` (the owner of /proc/PID), against the limit; null when unlimited. */
export function processLimitOf(uid: number): { count: number; limit: number } | null {
  const limit = ownProcessLimit();
  if (limit === null) return null;
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}`).uid === uid) count++;
    } catch {
      // gone meanwhile
    }
  }
  return { count, limit };
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}
