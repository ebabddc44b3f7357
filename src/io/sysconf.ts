// A system constant (clock ticks per second, page size) as getconf(1) tells it: Node has no sysconf(3).
import { execFileSync } from 'node:child_process';

/** The value of getconf NAME, or `fallback` when getconf is missing or answers nothing usable. */
export function sysconf(name: string, fallback: number): number {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}
