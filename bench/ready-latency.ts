// Measures the time from a vassal's READY=1 to the stats socket showing it RUNNING (the target: median under 2 ms).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, cleanupOnInterrupt, tempRoot } from './lib/cleanup.ts';
import { EmperorProcess } from './lib/emperor-process.ts';
import { COMPILED, distWarning, ROOT } from './lib/emperor-tree.ts';
import { readStats, waitFor } from './lib/stats-read.ts';
import { formatSummary, nowMs, summarize } from './lib/summary.ts';
import { diagHeader } from './lib/header.ts';

const USAGE = 'usage: node --import tsx bench/ready-latency.ts [ROUNDS=30]';
const ROUNDS = Number(process.argv[2] ?? 30);
const TARGET_MEDIAN_MS = 2;
const FIXTURE = join(ROOT, 'test/fixtures/ready-on-go.py');

/** One round: a notify vassal waits for "go", sends READY=1; stats are read back to back until it is RUNNING. */
async function round(root: string, statsPath: string, vassals: string, i: number): Promise<{ latency: number; reads: number }> {
  const fifo = join(root, `go-${i}.fifo`);
  const sent = join(root, `sent-${i}`);
  const mk = spawnSync('mkfifo', [fifo]);
  if (mk.status !== 0) throw new Error(`mkfifo ${fifo} failed`);
  const name = `ready${i}`;
  writeFileSync(join(vassals, `${name}.ini`), `[vassal]\ncommand = ${FIXTURE} ${fifo} ${sent}\nnotify = true\nstart-timeout = 60s\n`);
  await waitFor(`${name} to be STARTING`, async () => {
    const v = (await readStats(statsPath)).vassals.find((x) => x.name === name);
    return v !== undefined && v.state === 'STARTING' && v.pids.length > 0 ? v : null;
  }, 20000);
  // Opening for writing blocks until the vassal has it open for reading: it is waiting for the line.
  writeFileSync(fifo, 'go\n');
  let reads = 0;
  let seen = NaN;
  for (;;) {
    const doc = await readStats(statsPath);
    reads++;
    if (doc.vassals.find((x) => x.name === name)?.state === 'RUNNING') {
      // The end of the read that shows it: an upper bound (the state was RUNNING before it rendered).
      seen = nowMs();
      break;
    }
    if (reads > 100_000) throw new Error(`${name} never became RUNNING`);
  }
  await waitFor(`${name} to record its send`, () => (existsSync(sent) && readFileSync(sent, 'utf8') !== '' ? true : null), 5000, 5);
  const sentMs = Number(readFileSync(sent, 'utf8')) * 1000;
  rmSync(join(vassals, `${name}.ini`));
  return { latency: seen - sentMs, reads };
}

async function main(): Promise<void> {
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(USAGE);
  cleanupOnInterrupt();
  const warn = distWarning();
  console.log(diagHeader('ready-latency'));
  if (warn !== null) console.log(`warning: ${warn}`);
  const root = tempRoot('emperor-bench-ready');
  const vassals = join(root, 'vassals');
  spawnSync('mkdir', ['-p', vassals]);
  const stateDir = join(root, 'state');
  const statsPath = join(stateDir, 'stats.sock');
  const emperor = new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', stateDir, '--metrics', 'off']);
  await waitFor('the stats socket', () => readStats(statsPath).catch(() => null), 15000);
  const latencies: number[] = [];
  let reads = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await round(root, statsPath, vassals, i);
    latencies.push(r.latency);
    reads += r.reads;
  }
  const s = summarize(latencies);
  console.log(formatSummary(`READY=1 -> RUNNING in the stats (${COMPILED.label})`, s));
  console.log(`stats reads per round: ${(reads / ROUNDS).toFixed(1)} (back to back; the time is taken at the end of the first read showing RUNNING)`);
  console.log(`target: median under ${TARGET_MEDIAN_MS} ms: ${s.median < TARGET_MEDIAN_MS ? 'met' : 'NOT met'}`);
  const stop = await emperor.stop();
  if (stop.leftovers.length > 0) console.log(`left behind: ${stop.leftovers.join(', ')}`);
  if (s.median >= TARGET_MEDIAN_MS) process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  })
  .finally(() => void cleanupAll());
