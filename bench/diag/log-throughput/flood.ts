// Stats socket latency while a vassal floods its log, and the rotated files it left.
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorProcess } from '../../lib/emperor-process.ts';
import { COMPILED } from '../../lib/emperor-tree.ts';
import { readStats, waitFor } from '../../lib/stats-read.ts';
import { nowMs, summarize, type Summary } from '../../lib/summary.ts';
import { sleep } from '../../lib/util.ts';
import { MIB, MAX_LOG_BYTES, SETTLE_MS, FLOOD_READS, FLOOD_GAP_MS, IDLE_READS, IDLE_GAP_MS } from './constants.ts';
import { cpuSeconds, wchar } from '../../lib/proc-counters.ts';
import { rotatedFiles, readFileTail } from './log-files.ts';
import { dropVassal, eventTime } from './emperor-runs.ts';

interface FloodResult {
  idle: Summary;
  flood: Summary;
  errors: number;
  windowS: number;
  cpuPercent: number;
  writeMBps: number;
  rotatedFiles: number;
  rotatedEndingMidLine: number;
  rotatedOverMax: number;
  problems: string[];
}

async function timedRead(statsPath: string): Promise<number | null> {
  const t0 = nowMs();
  try {
    await readStats(statsPath);
    return nowMs() - t0;
  } catch {
    return null;
  }
}

/** A vassal `cat`s the test file in a loop: stats reads idle, then during the flood, and the rotated files after. */
export async function floodCheck(src: string, dir: string): Promise<FloodResult> {
  const vassals = join(dir, 'vassals');
  const staging = join(dir, 'staging');
  const state = join(dir, 'state');
  const logs = join(dir, 'logs');
  for (const d of [vassals, staging, logs]) mkdirSync(d, { recursive: true });
  const script = join(dir, 'flood.sh');
  writeFileSync(script, `while :; do cat '${src}'; done\n`);
  const statsPath = join(state, 'stats.sock');
  const emp = new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', state, '--metrics', 'off']);
  const problems: string[] = [];
  try {
    await waitFor('the emperor to serve stats', async () => ((await readStats(statsPath)).vassals.length === 0 ? true : null), 20000, 10);
    await sleep(SETTLE_MS);
    const idle: number[] = [];
    for (let i = 0; i < IDLE_READS; i++) {
      const ms = await timedRead(statsPath);
      if (ms !== null) idle.push(ms);
      await sleep(IDLE_GAP_MS);
    }
    dropVassal(staging, vassals, 'flood.ini', `[vassal]\ncommand = sh ${script}\nlog = ${join(logs, 'OUT')}\nstart-secs = 0\n`);
    await eventTime(emp, /^\S+ flood\[0\]: RUNNING /, 'flood RUNNING', 20000);
    await sleep(200);
    const t0 = nowMs();
    const cpu0 = cpuSeconds(emp.pid);
    const w0 = wchar(emp.pid);
    const flood: number[] = [];
    let errors = 0;
    for (let i = 0; i < FLOOD_READS; i++) {
      const ms = await timedRead(statsPath);
      if (ms === null) errors++;
      else flood.push(ms);
      await sleep(FLOOD_GAP_MS);
    }
    const windowS = (nowMs() - t0) / 1000;
    const cpuPercent = ((cpuSeconds(emp.pid) - cpu0) / windowS) * 100;
    const writeMBps = (wchar(emp.pid) - w0) / MIB / windowS;
    const stop = await emp.stop();
    problems.push(...emp.problems().map((l) => `emperor said: ${l}`));
    if (stop.exitCode !== 0) problems.push(`emperor exit: code ${stop.exitCode} signal ${stop.exitSignal}`);
    problems.push(...stop.leftovers.map((l) => `left behind by the emperor (killed): ${l}`));
    // The live file may end mid-line (the child was stopped mid-write); rotated ones must not.
    const rotated = rotatedFiles(logs, 'OUT').slice(0, -1);
    let midLine = 0;
    let overMax = 0;
    for (const p of rotated) {
      const size = statSync(p).size;
      if (size > MAX_LOG_BYTES) overMax++;
      const b = Buffer.alloc(1);
      const fd = openSync(p, 'r');
      try {
        readFileTail(fd, b, size - 1);
      } finally {
        closeSync(fd);
      }
      if (b[0] !== 0x0a) midLine++;
    }
    return {
      idle: summarize(idle),
      flood: summarize(flood),
      errors,
      windowS,
      cpuPercent,
      writeMBps,
      rotatedFiles: rotated.length,
      rotatedEndingMidLine: midLine,
      rotatedOverMax: overMax,
      problems,
    };
  } finally {
    await emp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
