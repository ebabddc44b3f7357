// The log files of a supervisor that rotates to FILE.1 ... FILE.N (emperor, supervisord): oldest first.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogProgram } from './types.ts';

/** out.log's backups, oldest first, then out.log itself: those that exist. */
export function numberedLogFiles(p: LogProgram): string[] {
  const base = join(p.logDir, 'out.log');
  const out: string[] = [];
  for (let i = p.backups; i >= 1; i--) if (existsSync(`${base}.${i}`)) out.push(`${base}.${i}`);
  if (existsSync(base)) out.push(base);
  return out;
}
