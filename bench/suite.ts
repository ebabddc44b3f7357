// `npm run bench`: every scenario for every supervisor, one JSON line each into bench/out/, then the table.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { machine, headerLines } from './lib/header.ts';
import { benchLeftovers } from './lib/leftovers.ts';
import { loadAverage } from './lib/proc.ts';
import { tempDir, tempDirsMade } from './lib/util.ts';
import { FULL, QUICK, parseArgs } from './params.ts';
import { ensurePeers, PEERS } from './peers/index.ts';
import { fleet } from './scenarios/fleet.ts';
import { pickup, respawn } from './scenarios/latency.ts';
import { logs } from './scenarios/logs.ts';
import { renderTable, readResults, writeReadmeTable } from './table.ts';
import type { Ctx, Outcome } from './scenarios/common.ts';
import type { Peer } from './peers/types.ts';
import type { Scenario } from './params.ts';

const ROOT = resolve(import.meta.dirname, '..');
const opts = parseArgs(process.argv.slice(2));
const params = { ...(opts.quick ? QUICK : FULL) };
if (opts.sizes !== null) {
  params.fleetSizes = opts.sizes;
  if (!params.fleetSizes.includes(params.busySize)) params.busySize = Math.max(...params.fleetSizes);
}
if (opts.repeat !== null) params.repeat = opts.repeat;
const mode = opts.quick ? 'quick' : 'full';
const say = (line: string): void => console.log(line);
const selected = PEERS.filter((p) => opts.peers === null || opts.peers.includes(p.name));
for (const name of opts.repeatPeers ?? []) if (!PEERS.some((p) => p.name === name)) throw new Error(`--repeat-peers: unknown ${name} (${PEERS.map((p) => p.name).join(', ')})`);
/** How many fleet runs a supervisor gets: params.repeat, or 1 when --repeat-peers leaves it out. */
const runsFor = (peer: Peer): number => (opts.repeatPeers === null || opts.repeatPeers.includes(peer.name) ? params.repeat : 1);
for (const name of opts.peers ?? []) if (!PEERS.some((p) => p.name === name)) throw new Error(`--peers: unknown ${name} (${PEERS.map((p) => p.name).join(', ')})`);

const skipped = ensurePeers(selected, opts.install, say);
const versions: Record<string, string> = {};
for (const p of selected) versions[p.name] = skipped.has(p.name) ? 'missing' : p.version();
const m = machine();
const runId = new Date().toISOString().replace(/[:.]/g, '-');
const outFile = opts.out ?? join(ROOT, 'bench/out', `bench-${mode}-${runId}.jsonl`);
mkdirSync(join(outFile, '..'), { recursive: true });
for (const line of headerLines(m, versions, mode)) say(line);
for (const [name, why] of skipped) say(`SKIP ${name}: ${why}`);
say(`results: ${outFile}`);
const shared = tempDir('shared');

// where the run's time goes: seconds per scenario and supervisor, printed at the end
const spent = new Map<string, number>();

function record(scenario: string, peer: Peer, loadStart: number, out: Outcome | null, skip?: string, startedAt = performance.now()): void {
  const elapsedMs = Math.round(performance.now() - startedAt);
  spent.set(`${scenario} ${peer.name}`, (spent.get(`${scenario} ${peer.name}`) ?? 0) + elapsedMs);
  const line = { v: 1, run: runId, mode, scenario, supervisor: peer.name, version: versions[peer.name], versions, machine: m, load: { start: loadStart, end: loadAverage() }, params, elapsedMs, metrics: out?.metrics ?? {}, problems: out?.problems ?? [], ...(skip !== undefined ? { skipped: skip } : {}) };
  appendFileSync(outFile, `${JSON.stringify(line)}\n`);
  for (const p of out?.problems ?? []) say(`  ${peer.name}: problem: ${p}`);
}

/** One scenario for one supervisor; a fleet runs every size (its run `rep` of params.repeat). */
async function one(scenario: Scenario, peer: Peer, rep: number): Promise<void> {
  const ctx: Ctx = { peer, params, say: (l) => say(`  ${peer.name}: ${l}`) };
  if (scenario === 'fleet') {
    for (const n of params.fleetSizes) {
      const [load, t] = [loadAverage(), performance.now()];
      record('fleet', peer, load, await fleet(ctx, n, rep, runsFor(peer)), undefined, t);
    }
    return;
  }
  const [load, t] = [loadAverage(), performance.now()];
  const out = scenario === 'pickup' ? await pickup(ctx) : scenario === 'respawn' ? await respawn(ctx) : await logs(ctx, scenario === 'logs-8k' ? '8k' : '128k', shared);
  record(scenario, peer, load, out, undefined, t);
}

// the floor of every CLI's status time: Node starting and exiting
{
  const { run, quantile, round } = await import('./lib/util.ts');
  const samples: number[] = [];
  for (let i = 0; i < (opts.quick ? 3 : 10); i++) samples.push((await run(process.execPath, ['-e', '0'])).ms);
  const nodeE0Ms = round(quantile(samples, 0.5));
  appendFileSync(outFile, `${JSON.stringify({ v: 1, run: runId, mode, scenario: 'baseline', supervisor: 'node', version: process.version, versions, machine: m, load: { start: loadAverage(), end: loadAverage() }, params, metrics: { nodeE0Ms }, problems: [] })}\n`);
  say(`node -e 0: median ${nodeE0Ms} ms`);
}

let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  say('interrupted: finishing the current supervisor (it is stopped and checked), then stopping');
});
const t0 = Date.now();
for (const scenario of opts.only) {
  if (interrupted) break;
  // the fleets run params.repeat times, the supervisors interleaved (run 1 of each, then run 2 ...)
  const reps = scenario === 'fleet' ? params.repeat : 1;
  for (let rep = 1; rep <= reps && !interrupted; rep++) {
    say(`== ${scenario}${reps > 1 ? ` (run ${rep} of ${reps})` : ''}`);
    for (const peer of selected) {
      if (interrupted) break;
      const why = skipped.get(peer.name);
      if (why !== undefined) {
        if (rep === 1) record(scenario, peer, loadAverage(), null, why);
        continue;
      }
      if (scenario === 'fleet' && rep > runsFor(peer)) continue;
      await one(scenario, peer, rep);
    }
  }
}
const { rmSync } = await import('node:fs');
rmSync(shared, { recursive: true, force: true });
const left = benchLeftovers(tempDirsMade());
if (left.length > 0) {
  say(`LEFT BEHIND (killing ${left.length}): ${left.slice(0, 20).map((l) => `${l.pid} ${l.what}`).join('; ')}${left.length > 20 ? `; and ${left.length - 20} more` : ''}`);
  for (const l of left) {
    try {
      process.kill(l.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  process.exitCode = 1;
} else say('no process left behind');
say(`done in ${Math.round((Date.now() - t0) / 1000)} s; load ${loadAverage()}; results ${outFile}`);
say(`time spent (s): ${[...spent].filter(([, ms]) => ms >= 500).map(([k, ms]) => `${k} ${Math.round(ms / 1000)}`).join(', ')}`);
say('');
say(renderTable(readResults(outFile)));
if (opts.writeReadme) {
  writeReadmeTable(join(ROOT, 'README.md'), readResults(outFile), outFile);
  say('README.md performance table rewritten from this run');
}
