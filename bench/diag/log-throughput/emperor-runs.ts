// The test file through a fresh emperor: wall, CPU and counters of one copy, and the fixed cost of an empty one.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorProcess } from '../../lib/emperor-process.ts';
import { COMPILED } from '../../lib/emperor-tree.ts';
import { readStats, waitFor } from '../../lib/stats-read.ts';
import { sleep } from '../../lib/util.ts';
import { TOTAL_BYTES, TOTAL_MB, SETTLE_MS } from './constants.ts';
import { type Cpu, cpuOf, cpuSeconds, cpuSince, type Counters, countersOf, countersSince } from '../../lib/proc-counters.ts';
import { type LogCheck, totalSize, checkLog } from './log-files.ts';

/** One copy of the test file through a supervisor: wall, CPU, counters, and the check of its log. */
export interface SupervisedRun {
  wallS: number;
  mbps: number;
  cpuS: number;
  cpu: Cpu;
  counters: Counters;
  /** from the child's exit to the last byte in the log files (ms); polled every 5 ms. */
  drainMs: number;
  /** from the child's start (event line) to the last byte in the log files, in seconds. */
  lastByteS: number;
  check: LogCheck;
  problems: string[];
}

/** Writes `text` to staging/NAME, then renames it into the vassal dir. */
export function dropVassal(staging: string, vassals: string, name: string, text: string): void {
  const tmp = join(staging, name);
  writeFileSync(tmp, text);
  renameSync(tmp, join(vassals, name));
}

/** The ISO time (ms since epoch) of the first emperor event line matching `re`, once it is there. */
export function eventTime(emp: EmperorProcess, re: RegExp, what: string, timeoutMs: number): Promise<{ at: number; line: string }> {
  return waitFor(
    what,
    () => {
      for (const line of emp.stdout.split('\n')) {
        if (!re.test(line)) continue;
        const at = Date.parse(line.slice(0, line.indexOf(' ')));
        return Number.isFinite(at) ? { at, line } : null;
      }
      if (emp.hasExited) throw new Error(`the emperor exited (${emp.exitCode ?? emp.exitSignal}) while waiting for ${what}`);
      return null;
    },
    timeoutMs,
    5,
  );
}

/**
 * Polls (every 5 ms, from before the child starts) until the log files hold TOTAL_BYTES, or have
 * stopped growing for 2 s once something was written (30 s if nothing ever is); returns when, in Date.now() ms.
 */
export async function logComplete(dir: string, base: string): Promise<number> {
  let last = 0;
  let lastChange = Date.now();
  for (;;) {
    const size = totalSize(dir, base);
    const now = Date.now();
    if (size === TOTAL_BYTES) return now;
    if (size !== last) {
      last = size;
      lastChange = now;
    } else if (now - lastChange > (size > 0 ? 2000 : 30000)) return lastChange;
    await sleep(5);
  }
}

// A fresh emperor on dir's vassals/ (files are staged in staging/ and renamed in), logs in logs/.
function freshEmperor(dir: string): { vassals: string; staging: string; logs: string; emp: EmperorProcess } {
  const vassals = join(dir, 'vassals');
  const staging = join(dir, 'staging');
  const logs = join(dir, 'logs');
  for (const d of [vassals, staging, logs]) mkdirSync(d, { recursive: true });
  return { vassals, staging, logs, emp: new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', join(dir, 'state'), '--metrics', 'off']) };
}

// Serving stats with no vassal yet, then SETTLE_MS of quiet before a measurement.
async function settled(dir: string): Promise<void> {
  await waitFor('the emperor to serve stats', async () => ((await readStats(join(dir, 'state', 'stats.sock'))).vassals.length === 0 ? true : null), 20000, 10);
  await sleep(SETTLE_MS);
}

// What stopping the emperor showed: its own complaints, a bad exit, anything it left behind.
async function stopProblems(emp: EmperorProcess): Promise<string[]> {
  const stop = await emp.stop();
  const out = emp.problems().map((l) => `emperor said: ${l}`);
  if (stop.exitCode !== 0) out.push(`emperor exit: code ${stop.exitCode} signal ${stop.exitSignal}`);
  return [...out, ...stop.leftovers.map((l) => `left behind by the emperor (killed): ${l}`)];
}

/** log-max-size: the default (50M) unless given (bytes). */
export async function emperorRun(src: string, srcSha1: string, dir: string, maxBytes: number | null = null): Promise<SupervisedRun> {
  const { vassals, staging, logs, emp } = freshEmperor(dir);
  const problems: string[] = [];
  try {
    await settled(dir);
    const cpu0 = cpuOf(emp.pid);
    const n0 = countersOf(emp.pid);
    const size = maxBytes === null ? '' : `log-max-size = ${maxBytes}\n`;
    const completing = logComplete(logs, 'OUT');
    dropVassal(staging, vassals, 'tp.ini', `[vassal]\ncommand = cat ${src}\nlog = ${join(logs, 'OUT')}\nrestart = never\nstart-secs = 0\n${size}`);
    const running = await eventTime(emp, /^\S+ tp\[0\]: RUNNING /, 'tp RUNNING', 20000);
    const exited = await eventTime(emp, /^\S+ tp\[0\]: (EXITED|FATAL|BACKOFF) /, 'tp EXITED', 120000);
    const complete = await completing;
    const cpu = cpuSince(emp.pid, cpu0);
    const counters = countersSince(emp.pid, n0);
    if (!/ EXITED pid=\d+ code=0 /.test(exited.line)) problems.push(`emperor: ${exited.line}`);
    const wallS = (exited.at - running.at) / 1000;
    problems.push(...(await stopProblems(emp)));
    const check = checkLog(logs, 'OUT', srcSha1);
    const lastByteS = (complete - running.at) / 1000;
    return { wallS, mbps: TOTAL_MB / wallS, cpuS: cpu.user + cpu.sys, cpu, counters, drainMs: complete - exited.at, lastByteS, check, problems };
  } finally {
    await emp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The emperor's CPU for the same vassal with an empty file (`cat EMPTY`): the fixed cost of picking
 * up the file, spawning, and handling the exit, without the copy. Fresh emperor, like emperorRun.
 */
export async function emperorFixedCost(empty: string, dir: string): Promise<{ cpuS: number; problems: string[] }> {
  const { vassals, staging, logs, emp } = freshEmperor(dir);
  const problems: string[] = [];
  try {
    await settled(dir);
    const cpu0 = cpuSeconds(emp.pid);
    dropVassal(staging, vassals, 'tp.ini', `[vassal]\ncommand = cat ${empty}\nlog = ${join(logs, 'OUT')}\nrestart = never\nstart-secs = 0\n`);
    await eventTime(emp, /^\S+ tp\[0\]: (EXITED|FATAL|BACKOFF) /, 'tp EXITED', 20000);
    await sleep(100);
    const cpuS = cpuSeconds(emp.pid) - cpu0;
    problems.push(...(await stopProblems(emp)));
    return { cpuS, problems };
  } finally {
    await emp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
