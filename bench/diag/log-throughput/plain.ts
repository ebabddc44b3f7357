// The no-supervisor baselines: the child writes the test file to a file itself (three ways).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from '../../lib/cleanup.ts';
import { signal } from '../../lib/proc-groups.ts';
import { nowMs } from '../../lib/summary.ts';
import { TOTAL_MB } from './constants.ts';

/** One no-supervisor copy: wall time and what arrived. */
export interface PlainRun {
  wallS: number;
  mbps: number;
  bytes: number;
}

/** The no-supervisor baselines: each writes F to OUT with a shell command. */
export const PLAIN_VARIANTS = [
  {
    key: 'cat_file',
    label: 'cat F > OUT (copy_file_range)',
    note: 'GNU cat between two regular files copies in the kernel (copy_file_range): the child never write()s',
    command: (src: string, out: string): string => `cat '${src}' > '${out}'`,
  },
  {
    key: 'dd_file',
    label: 'dd bs=128K (read/write)',
    note: 'dd if=F of=OUT bs=128K: read() and write() of 128 KiB, as cat does into a pipe',
    command: (src: string, out: string): string => `dd if='${src}' of='${out}' bs=128K status=none`,
  },
  {
    key: 'cat_pipe_cat',
    label: 'cat F | cat > OUT (C pipe reader)',
    note: 'the same child writing into a pipe that a C reader (cat) copies to a file, for scale: a supervisor reads a pipe too (wall = the whole pipeline)',
    command: (src: string, out: string): string => `cat '${src}' | cat > '${out}'`,
  },
] as const;

/** Runs one baseline copy (a shell line) into DIR/OUT and times it spawn to exit. */
export async function plainRun(src: string, dir: string, command: (src: string, out: string) => string): Promise<PlainRun> {
  mkdirSync(dir);
  const out = join(dir, 'OUT');
  const t0 = nowMs();
  const child = spawn('sh', ['-c', command(src, out)], { stdio: 'ignore' });
  const stop = onCleanup(async () => {
    if (child.pid !== undefined && child.exitCode === null) signal(child.pid, 'SIGKILL');
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const wallS = (nowMs() - t0) / 1000;
  await stop();
  if (code !== 0) throw new Error(`sh -c '${command(src, out)}' exited with ${code}`);
  const bytes = statSync(out).size;
  rmSync(dir, { recursive: true, force: true });
  return { wallS, mbps: TOTAL_MB / wallS, bytes };
}
