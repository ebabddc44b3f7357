// Log throughput and supervisor CPU: one program writes LOG_BYTES of 100-byte lines into a rotating log.
import { closeSync, constants, existsSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cpuBetween, readCpu } from '../lib/usage.ts';
import { round, sleep } from '../lib/util.ts';
import { checkLog, LINE } from './log-check.ts';
import { ownProcessesBesideWriter, withSupervisor } from './common.ts';
import type { Ctx, Outcome } from './common.ts';
import type { LogProgram } from '../peers/types.ts';

/** 8k: `yes LINE | head -c N` (8 KiB writes); 128k: `cat FILE` of the same lines (128 KiB writes into a pipe). */
export type Writer = '8k' | '128k';

async function openWhenRead(fifo: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || performance.now() > deadline) throw err;
      await sleep(2);
    }
  }
}

/** The writer's input file for 128k, made once per size in a shared dir. */
export function lineFile(dir: string, bytes: number): string {
  const file = join(dir, `lines-${bytes}.txt`);
  if (existsSync(file) && statSync(file).size === bytes) return file;
  const fd = openSync(file, 'w');
  const chunk = Buffer.from(`${LINE}\n`.repeat(10_000));
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  closeSync(fd);
  return file;
}

/**
 * Writes and deletes a scratch file as big as the log, right before the go: the page cache pages the run
 * then writes into were just in use, whichever supervisor runs first. Without it, on a VM whose balloon
 * reports free pages to the host (virtio free page reporting, about 2 s after they are freed), the first
 * supervisor after a pause wrote into pages the host had taken back and must fault in again: its copies
 * into the page cache ran 4-5x slower (perf: copy_folio_from_iter_atomic 156 ms of CPU against ~30), while
 * the next supervisor reused the pages the first had just freed.
 */
export function warmPageCache(dir: string, bytes: number): void {
  const file = join(dir, 'warm.tmp');
  const chunk = Buffer.alloc(1 << 20, 120);
  const fd = openSync(file, 'w');
  try {
    for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
}

/** Runs one writer under the peer; MB/s from the go signal to the last byte in the files, CPU of its own processes. */
export function logs(ctx: Ctx, writer: Writer, sharedDir: string): Promise<Outcome> {
  return withSupervisor(ctx, `logs${writer}`, async (sup, scanner, tag, dir) => {
    if (sup.startLogging === undefined || sup.logFiles === undefined) return { metrics: { skipped: 'this peer has no log files of its own in this suite' }, problems: [] };
    const { logBytes, logMaxBytes, logBackups } = ctx.params;
    const fifo = join(dir, 'go.fifo');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const write = writer === '8k' ? `yes '${LINE}' 2>/dev/null | head -c ${logBytes}` : `cat ${lineFile(sharedDir, logBytes)}`;
    const p: LogProgram = { name: 'writer', shell: `read go < ${fifo}; ${write}; exec sleep 1000000 0.${tag}00000`, logDir: join(dir, 'logs'), maxBytes: logMaxBytes, backups: logBackups };
    mkdirSync(p.logDir, { recursive: true });
    await sup.startLogging(p);
    const fd = await openWhenRead(fifo, 60_000);
    await sleep(300);
    warmPageCache(dir, logBytes);
    const before = readCpu(ownProcessesBesideWriter(sup, tag));
    const t0 = performance.now();
    writeSync(fd, 'go\n');
    closeSync(fd);
    const files = sup.logFiles;
    const size = (): number => files(p).reduce((s, f) => s + (existsSync(f) ? statSync(f).size : 0), 0);
    let t1: number | null = null;
    const deadline = t0 + 600_000;
    while (performance.now() < deadline) {
      if (size() >= logBytes) {
        t1 = performance.now();
        break;
      }
      await sleep(5);
    }
    const used = cpuBetween(before, readCpu(ownProcessesBesideWriter(sup, tag)));
    if (t1 === null) throw new Error(`only ${size()} of ${logBytes} bytes in the log after 600 s`);
    await scanner.until(() => scanner.children.size > 0, 10_000, 20);
    await sleep(200);
    const check = checkLog(files(p), logBytes, logMaxBytes);
    const expectedFiles = Math.min(logBackups + 1, Math.ceil(logBytes / logMaxBytes));
    const problems: string[] = [];
    if (!check.exact) problems.push(`lines not exact: ${check.bytes} bytes in ${check.files} files, expected ${logBytes} of whole lines`);
    const flaws = [check.files !== expectedFiles ? `${check.files} files, expected ${expectedFiles}` : '', check.filesOverMax > 0 ? `${check.filesOverMax} file${check.filesOverMax === 1 ? '' : 's'} over the size` : '', check.cutLines > 0 ? `${check.cutLines} lines cut across files` : ''].filter(Boolean);
    const rotation = sup.logNote ?? (flaws.length === 0 ? 'exact' : flaws.join(', '));
    const mbs = logBytes / 1e6 / ((t1 - t0) / 1000);
    // schedstat (ns) when the kernel has it, else 10 ms ticks; both kept
    const cpuS = used.schedS ?? used.ticksS;
    ctx.say(`logs ${writer}: ${round(mbs, 1)} MB/s, supervisor CPU ${round(cpuS, 3)} s (ticks ${round(used.ticksS, 2)}), lines ${check.exact ? 'exact' : 'NOT exact'}, rotation ${rotation}`);
    return { metrics: { writer, bytes: logBytes, maxBytes: logMaxBytes, mbPerS: round(mbs, 1), cpuS: round(cpuS, 3), cpuTicksS: round(used.ticksS, 2), cpuSchedS: used.schedS === null ? null : round(used.schedS, 3), wallMs: round(t1 - t0), linesExact: check.exact, rotation, check }, problems };
  });
}
