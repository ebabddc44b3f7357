// Process-group facts and signals: is anything of a group still alive, and end it.
import { readdirSync, readFileSync } from 'node:fs';

/** Sends a signal to every process of a group; false when the group no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals | number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to one process; false when it is gone. */
export function killProcess(pid: number, signal: NodeJS.Signals | number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Parses /proc/PID/stat into state and process group; null when unreadable. */
export function readProcStat(pid: number): { state: string; pgrp: number; ppid: number; startTicks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]), startTicks: Number(rest[19]) };
}

/**
 * True while any process of the group is alive. A zombie does not count: where pid 1 does not
 * reap orphans (as in some containers), a dead group would otherwise look alive forever.
 * Cheap in the common cases (no group at all, or a live leader); scans /proc only otherwise.
 */
export function groupAlive(pgid: number): boolean {
  if (!killGroup(pgid, 0)) return false;
  const leader = readProcStat(pgid);
  if (leader !== null && leader.pgrp === pgid && leader.state !== 'Z' && leader.state !== 'X') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readProcStat(Number(name));
    if (st !== null && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') return true;
  }
  return false;
}

/** True while the process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  if (!killProcess(pid, 0)) return false;
  const st = readProcStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}
