// The emperor's CPU time and involuntary context switches (/proc), and spawn -> exit of a command.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readStat, TICKS_PER_SECOND } from '../../lib/proc.ts';
import { ROOT } from '../../lib/emperor-tree.ts';
import { nowMs } from '../../lib/summary.ts';

/** Clock ticks per second of /proc/PID/stat (for the printed unit). */
export const CLK_TCK = TICKS_PER_SECOND;

/** CPU time (user + system, all threads) in ms and involuntary context switches of a process so far. */
export function cpuOf(pid: number): { cpuMs: number; involuntary: number } | null {
  try {
    const st = readStat(pid);
    if (st === null) return null;
    const ticks = st.ticks;
    const m = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return { cpuMs: (ticks * 1000) / CLK_TCK, involuntary: Number(m?.[1] ?? NaN) };
  } catch {
    return null;
  }
}

/** What a stretch of time cost the emperor: CPU ms (all its threads) and involuntary context switches. */
export function cpuDelta(a: ReturnType<typeof cpuOf>, b: ReturnType<typeof cpuOf>): { cpu_ms: number; involuntary_switches: number } {
  return a === null || b === null ? { cpu_ms: NaN, involuntary_switches: NaN } : { cpu_ms: b.cpuMs - a.cpuMs, involuntary_switches: b.involuntary - a.involuntary };
}

// --- spawn -> exit of a command ------------------------------------------------------------------

/** One timed command. */
export interface Cmd {
  key: string;
  label: string;
  args: string[];
}

/** spawn -> close of `node ARGS` with EMPEROR_STATE_DIR set; stdout is drained (a pipe, not a TTY). */
export async function timeCommand(args: string[], stateDir: string): Promise<{ ms: number; code: number | null; stdoutBytes: number; stdoutLines: number; stderr: string }> {
  const t0 = nowMs();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EMPEROR_STATE_DIR: stateDir } });
  let bytes = 0;
  let lines = 0;
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    bytes += d.length;
    for (const b of d) if (b === 10) lines++;
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  return { ms: nowMs() - t0, code, stdoutBytes: bytes, stdoutLines: lines, stderr };
}
