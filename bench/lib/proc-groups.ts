// Process groups, descendants and /proc/PID/status fields for the diagnostics, on the one /proc reader (proc.ts).
import { readFileSync } from 'node:fs';
import { isAlive, listPids, readArgv, readStat, treeOf } from './proc.ts';

/** State, parent and process group of a process, from /proc/PID/stat; null when it is gone. */
export function procStat(pid: number): { state: string; ppid: number; pgrp: number } | null {
  return readStat(pid);
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  return isAlive(pid);
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  return listPids().filter((pid) => {
    const st = readStat(pid);
    return st !== null && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X';
  });
}

/** Direct children of a process. */
export function childrenOf(ppid: number): number[] {
  return listPids().filter((pid) => readStat(pid)?.ppid === ppid);
}

/** Every descendant of a process (children, their children, ...). */
export function descendantsOf(root: number): number[] {
  return treeOf([root]).map((s) => s.pid).filter((p) => p !== root);
}

/** The command line of a process, arguments joined by spaces; '' when gone. */
export function cmdline(pid: number): string {
  return (readArgv(pid) ?? []).filter(Boolean).join(' ');
}

/** A `Vm*` field of /proc/PID/status in kB (VmRSS, VmHWM, ...); null when unreadable. */
export function statusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pidOrNegPgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pidOrNegPgid, sig);
  } catch {
    // gone
  }
}

/** A command line on one line, cut to 60 characters. */
export function short(cmd: string): string {
  const one = cmd.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
