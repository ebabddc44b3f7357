// The end-of-run check: any process whose command line or working directory is in a bench temp dir.
import { readlinkSync } from 'node:fs';
import { listPids, readArgv } from './proc.ts';

/** Live processes started by the bench (by their temp dir), as "pid cmdline". */
export function benchLeftovers(marker = 'emperor-bench-'): { pid: number; what: string }[] {
  const out: { pid: number; what: string }[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const argv = readArgv(pid);
    if (argv === null || argv.length === 0) continue;
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone or not ours to read
    }
    const line = argv.join(' ');
    if (line.includes(marker) || cwd.includes(marker)) out.push({ pid, what: line.slice(0, 100) });
  }
  return out;
}
