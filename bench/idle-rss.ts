// Measures the emperor's idle RSS with N `sleep` vassals, its startup time, and both compiled (dist/) against tsx from source.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import {
  alive,
  childrenOf,
  cleanupAll,
  cleanupOnInterrupt,
  cmdline,
  COMPILED,
  distWarning,
  EmperorProcess,
  formatSummary,
  FROM_SOURCE,
  nowMs,
  onCleanup,
  readStats,
  ROOT,
  signal,
  sleep,
  statusKb,
  summarize,
  tempRoot,
  waitFor,
  type EmperorFlavour,
  type Summary,
} from './support.ts';

/** Vassals in the fleet (argv[2]). */
const N = Number(process.argv[2] ?? 500);
/** Idle time after the fleet is up, before RSS is read. */
const IDLE_MS = 3000;
const RSS_READS = 5;
const RSS_EVERY_MS = 1000;
const STARTUP_ROUNDS = 10;
const FLEET_POLL_MS = 50;

/** What one fleet run of one flavour found. */
export interface FleetResult {
  flavour: string;
  vassals: number;
  stats_answer_ms: number;
  all_spawned_ms: number;
  all_running_ms: number;
  /** the longest a stats read took while the fleet was starting: how long the emperor's event loop was blocked, at least. */
  slowest_stats_during_startup_ms: number;
  /** a stats read (connect, read to EOF, parse) once idle, median of 5. */
  idle_stats_ms: number;
  rss_kb: number[];
  rss_median_kb: number;
  hwm_kb: number | null;
  open_fds: number | null;
  guardian: { pid: number; cmd: string; rss_kb: number | null } | null;
  stop_ms: number;
  exit_code: number | null;
  alive_at_exit: string[];
  leftovers: string[];
  problems: string[];
}

const mb = (kb: number | null): string => (kb === null ? '?' : `${(kb / 1024).toFixed(1)} MB`);

function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Starts an emperor on N prepared `sleep 100000` vassals and measures it once the fleet idles. */
async function fleet(flavour: EmperorFlavour): Promise<FleetResult> {
  const root = tempRoot('emperor-bench-rss');
  const vassals = join(root, 'vassals');
  const state = join(root, 'state');
  mkdirSync(vassals);
  const width = String(N).length;
  for (let i = 0; i < N; i++) writeFileSync(join(vassals, `v${String(i).padStart(width, '0')}.ini`), '[vassal]\ncommand = sleep 100000\n');
  const statsPath = join(state, 'stats.sock');

  const emp = new EmperorProcess(flavour, ['--vassals', vassals, '--state-dir', state]);
  const t0 = emp.spawnedAt;
  await waitFor('the emperor to serve stats', () => readStats(statsPath), 30000, 5);
  const statsAnswer = nowMs() - t0;
  let allSpawned: number | null = null;
  let slowestStats = 0;
  await waitFor(
    `all ${N} vassals RUNNING`,
    async () => {
      const asked = nowMs();
      const doc = await readStats(statsPath, 10000);
      const now = nowMs();
      slowestStats = Math.max(slowestStats, now - asked);
      for (const v of doc.vassals) for (const p of v.pids) emp.pgids.add(p);
      if (allSpawned === null && doc.vassals.length === N && doc.vassals.every((v) => v.pids.length > 0)) allSpawned = now - t0;
      return doc.totals['RUNNING'] === N ? true : null;
    },
    120000,
    FLEET_POLL_MS,
  );
  const allRunning = nowMs() - t0;
  emp.rememberDescendants();

  await sleep(IDLE_MS);
  const rss: number[] = [];
  for (let i = 0; i < RSS_READS; i++) {
    if (i > 0) await sleep(RSS_EVERY_MS);
    const kb = statusKb(emp.pid, 'VmRSS');
    if (kb !== null) rss.push(kb);
  }
  const hwm = statusKb(emp.pid, 'VmHWM');
  const idleStats: number[] = [];
  for (let i = 0; i < 5; i++) {
    const asked = nowMs();
    await readStats(statsPath);
    idleStats.push(nowMs() - asked);
  }
  const fds = openFds(emp.pid);
  const children = childrenOf(emp.pid);
  const guardianPid = children.find((p) => cmdline(p).startsWith('/bin/sh'));
  const guardian = guardianPid === undefined ? null : { pid: guardianPid, cmd: cmdline(guardianPid).slice(0, 40), rss_kb: statusKb(guardianPid, 'VmRSS') };

  const stop = await emp.stop();
  const problems = emp.problems();
  problems.push(...stop.leftovers.map((l) => `left behind: ${l}`));
  if (guardian === null) problems.push(`no /bin/sh child of the emperor found (children: ${children.length})`);
  return {
    flavour: flavour.label,
    vassals: N,
    stats_answer_ms: Math.round(statsAnswer),
    all_spawned_ms: Math.round(allSpawned ?? NaN),
    all_running_ms: Math.round(allRunning),
    slowest_stats_during_startup_ms: Math.round(slowestStats),
    idle_stats_ms: summarize(idleStats).median,
    rss_kb: rss,
    rss_median_kb: summarize(rss).median,
    hwm_kb: hwm,
    open_fds: fds,
    guardian,
    stop_ms: Math.round(stop.stopMs),
    exit_code: stop.exitCode,
    alive_at_exit: stop.aliveAtExit,
    leftovers: stop.leftovers,
    problems,
  };
}

/** RSS of a bare node process that only keeps its event loop alive. */
async function bareNodeRss(): Promise<number[]> {
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('bare node did not start');
  const stopIt = onCleanup(async () => {
    if (alive(pid)) signal(pid, 'SIGKILL');
    await exited;
  });
  await sleep(IDLE_MS);
  const rss: number[] = [];
  for (let i = 0; i < RSS_READS; i++) {
    if (i > 0) await sleep(RSS_EVERY_MS);
    const kb = statusKb(pid, 'VmRSS');
    if (kb !== null) rss.push(kb);
  }
  await stopIt();
  return rss;
}

/** spawn -> exit of `node ARGS`, STARTUP_ROUNDS times. */
async function exitTimes(nodeArgs: string[]): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i < STARTUP_ROUNDS; i++) {
    const t0 = nowMs();
    const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    times.push(nowMs() - t0);
    if (code !== 0) throw new Error(`node ${nodeArgs.join(' ')} exited ${code}: ${out}`);
  }
  return summarize(times);
}

/** spawn -> the stats socket answering with 0 vassals (empty vassal dir), STARTUP_ROUNDS times. */
async function readyTimes(flavour: EmperorFlavour): Promise<{ ready: Summary; stop: Summary; aliveAtExit: number; problems: string[] }> {
  const root = tempRoot('emperor-bench-start');
  const vassals = join(root, 'vassals');
  const state = join(root, 'state');
  mkdirSync(vassals);
  const statsPath = join(state, 'stats.sock');
  const ready: number[] = [];
  const stops: number[] = [];
  const problems: string[] = [];
  let aliveAtExit = 0;
  for (let i = 0; i < STARTUP_ROUNDS; i++) {
    const emp = new EmperorProcess(flavour, ['--vassals', vassals, '--state-dir', state]);
    await waitFor('the stats socket to answer with 0 vassals', async () => ((await readStats(statsPath)).vassals.length === 0 ? true : null), 30000, 2);
    ready.push(nowMs() - emp.spawnedAt);
    const stop = await emp.stop();
    stops.push(stop.stopMs);
    problems.push(...emp.problems(), ...stop.leftovers.map((l) => `left behind: ${l}`));
    if (stop.aliveAtExit.length > 0) aliveAtExit++;
    if (stop.exitCode !== 0) problems.push(`exit code ${stop.exitCode} signal ${stop.exitSignal}`);
  }
  return { ready: summarize(ready), stop: summarize(stops), aliveAtExit, problems };
}

function printFleet(r: FleetResult, bareKb: number): void {
  console.log(`  ${r.flavour}:`);
  console.log(`    stats socket answered after ${r.stats_answer_ms} ms; all ${r.vassals} spawned after ${r.all_spawned_ms} ms; all RUNNING after ${r.all_running_ms} ms (start-secs 1 s included)`);
  console.log(`    slowest stats read while starting: ${r.slowest_stats_during_startup_ms} ms (the emperor's loop was busy that long); stats read once idle: ${r.idle_stats_ms.toFixed(1)} ms`);
  console.log(
    `    emperor VmRSS after ${IDLE_MS / 1000} s idle: ${r.rss_kb.map((k) => mb(k)).join(', ')} (median ${mb(r.rss_median_kb)}, ${(r.rss_median_kb / bareKb).toFixed(2)}x bare node; VmHWM ${mb(r.hwm_kb)}; ${r.open_fds} open fds)`,
  );
  console.log(`    guardian ${r.guardian === null ? 'not found' : `pid ${r.guardian.pid} (${r.guardian.cmd}...): VmRSS ${mb(r.guardian.rss_kb)}`}`);
  console.log(`    SIGTERM -> exit with ${r.vassals} vassals: ${r.stop_ms} ms, exit code ${r.exit_code}; still exiting at exit: ${r.alive_at_exit.length}; left behind: ${r.leftovers.length === 0 ? 'nothing' : r.leftovers.join('; ')}`);
  for (const p of r.problems) console.log(`    problem: ${p}`);
}

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 1) throw new Error('usage: node --import tsx bench/idle-rss.ts [VASSALS=500]');
  cleanupOnInterrupt();
  const loadBefore = loadavg()[0] ?? NaN;
  const stale = distWarning();
  if (stale !== null) console.log(`warning: ${stale}`);
  console.log(`idle-rss: node ${process.version}, ${platform()} ${arch()}, ${cpus().length} CPUs, ${N} vassals of \`sleep 100000\``);

  const bare = await bareNodeRss();
  const bareKb = summarize(bare).median;
  console.log(`bare node -e 'setInterval(()=>{},1e9)': VmRSS ${bare.map((k) => mb(k)).join(', ')} (median ${mb(bareKb)})`);

  const bareStart = await exitTimes(['-e', '0']);
  console.log(formatSummary(`startup: node -e 0 (spawn -> exit)                          `, bareStart));
  const versionCompiled = await exitTimes([...COMPILED.nodeArgs, '--version']);
  console.log(formatSummary(`startup: node bin/emperor.js --version                     `, versionCompiled));
  const versionTsx = await exitTimes([...FROM_SOURCE.nodeArgs, '--version']);
  console.log(formatSummary(`startup: node --import tsx src/cli/emperor.ts --version     `, versionTsx));
  const readyCompiled = await readyTimes(COMPILED);
  console.log(formatSummary(`startup: node bin/emperor.js -> stats answers (0 vassals)   `, readyCompiled.ready));
  const readyTsx = await readyTimes(FROM_SOURCE);
  console.log(formatSummary(`startup: tsx src/cli/emperor.ts -> stats answers (0 vassals)`, readyTsx.ready));
  console.log(`  (empty emperor SIGTERM -> exit: compiled median ${readyCompiled.stop.median.toFixed(1)} ms, tsx median ${readyTsx.stop.median.toFixed(1)} ms)`);
  console.log(
    `  (rounds where a child of the emperor, e.g. the guardian, was still exiting when the emperor exited: compiled ${readyCompiled.aliveAtExit}/${STARTUP_ROUNDS}, tsx ${readyTsx.aliveAtExit}/${STARTUP_ROUNDS})`,
  );
  for (const p of [...readyCompiled.problems, ...readyTsx.problems]) console.log(`  problem: ${p}`);

  console.log(`fleet of ${N}:`);
  const compiled = await fleet(COMPILED);
  printFleet(compiled, bareKb);
  const fromSource = await fleet(FROM_SOURCE);
  printFleet(fromSource, bareKb);
  console.log(
    `compiled vs tsx: idle RSS ${mb(compiled.rss_median_kb)} vs ${mb(fromSource.rss_median_kb)}; --version ${versionCompiled.median.toFixed(0)} vs ${versionTsx.median.toFixed(0)} ms; ready ${readyCompiled.ready.median.toFixed(0)} vs ${readyTsx.ready.median.toFixed(0)} ms`,
  );

  await cleanupAll();
  const loadAfter = loadavg()[0] ?? NaN;
  console.log(`1-min load average: ${loadBefore.toFixed(2)} at start, ${loadAfter.toFixed(2)} at end (other work on the machine skews these numbers)`);
  console.log(
    JSON.stringify({
      bench: 'idle-rss',
      node: process.version,
      cpus: cpus().length,
      loadavg_1m: [loadBefore, loadAfter],
      vassals: N,
      bare_node_rss_kb: bare,
      bare_node_rss_median_kb: bareKb,
      startup_ms: {
        node_e_0: bareStart,
        version_compiled: versionCompiled,
        version_tsx: versionTsx,
        ready_compiled: readyCompiled.ready,
        ready_tsx: readyTsx.ready,
      },
      empty_stop_ms: { compiled: readyCompiled.stop, tsx: readyTsx.stop },
      empty_alive_at_exit_rounds: { compiled: readyCompiled.aliveAtExit, tsx: readyTsx.aliveAtExit },
      fleet: { compiled, tsx: fromSource },
      problems: [...readyCompiled.problems, ...readyTsx.problems],
    }),
  );
}

try {
  await main();
} catch (err) {
  console.error(`idle-rss failed: ${err instanceof Error ? err.stack : String(err)}`);
  await cleanupAll();
  process.exitCode = 1;
}
