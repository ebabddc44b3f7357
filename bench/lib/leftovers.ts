// The end-of-run check: any process whose command line or working directory is in one of THIS run's temp dirs
// (other bench runs on the same machine use the same prefix: their processes are theirs, never touched here).
import { readlinkSync } from 'node:fs';
import { listPids, readArgv } from './proc.ts';

/** Live processes started by this run (by its temp dirs), as "pid cmdline". */
export function benchLeftovers(dirs: readonly string[]): { pid: number; what: string }[] {
  const out: { pid: number; what: string }[] = [];
  if (dirs.length === 0) return out;
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
    // a dir is matched with its separator, so /tmp/emperor-bench-x-AbC does not match /tmp/emperor-bench-x-AbCd
    if (dirs.some((d) => line.includes(`${d}/`) || line.endsWith(d) || line.includes(`${d} `) || cwd === d || cwd.startsWith(`${d}/`))) out.push({ pid, what: line.slice(0, 100) });
  }
  return out;
}
