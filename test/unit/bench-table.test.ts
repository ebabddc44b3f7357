// The bench's own arithmetic (no supervisor runs): worst-of-N fleets in the table, the per-program cost paired
// within a run, CPU between two readings (schedstat ns beside ticks), and the --repeat option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../bench/params.ts';
import { renderTable } from '../../bench/table.ts';
import type { ResultLine } from '../../bench/table.ts';
import { cpuBetween, cpuNs, privateKb } from '../../bench/lib/usage.ts';

function fleetLine(supervisor: string, n: number, repeat: number, metrics: Record<string, unknown>): ResultLine {
  return {
    run: 'r1',
    mode: 'full',
    scenario: 'fleet',
    supervisor,
    versions: { emperor: 'x', supervisord: 'y' },
    machine: { cpu: 'test', cores: 2, kernel: '6' },
    load: { start: 1, end: 1 },
    params: { busySize: 50, cpuWindowMs: 30_000, settleMs: 30_000, logBytes: 0, repeat: 3 },
    metrics: { n, repeat, of: 3, ...metrics },
    problems: [],
  };
}

function row(table: string, start: string): string[] {
  const line = table.split('\n').find((l) => l.startsWith(`| ${start}`));
  assert.ok(line !== undefined, `no row starting ${start} in\n${table}`);
  return line.split(' | ').map((c) => c.replace(/^\| /, '').replace(/ \|$/, ''));
}

// emperor's PSS at 50 in three runs: 10, 30, 20 MB; at 10: 9, 9.5, 5 MB (KB below). supervisord: flat.
const lines: ResultLine[] = [
  ...[
    [9 * 1024, 10 * 1024, 0.05, 1000],
    [9.5 * 1024, 30 * 1024, 0.2, 3000],
    [5 * 1024, 20 * 1024, 0.1, 2000],
  ].flatMap(([small, big, cpu, startMs], i) => [
    fleetLine('emperor', 10, i + 1, { pssKb: small, privateKb: small, startAllMs: 100 }),
    fleetLine('emperor', 50, i + 1, { pssKb: big, privateKb: big, idleCpuPct: cpu, idleCpuSchedPct: cpu, startAllMs: startMs, ...(i === 0 ? { statusCliMs: { median: 7 } } : {}) }),
  ]),
  ...[1, 2, 3].flatMap((r) => [fleetLine('supervisord', 10, r, { pssKb: 20 * 1024, privateKb: 20 * 1024 }), fleetLine('supervisord', 50, r, { pssKb: 21 * 1024, privateKb: 21 * 1024, idleCpuPct: 0.01, startAllMs: 4000 })]),
];

test('footprint and idle CPU are the worst of the runs, named with their number', () => {
  const t = renderTable(lines);
  const pss = row(t, 'idle footprint at 50, PSS');
  assert.match(pss[0] ?? '', /worst of 3 runs, each 30 s after all ran/);
  assert.equal(pss[1], '30.0');
  assert.equal(row(t, 'idle CPU at 50')[1], '0.200');
  assert.match(row(t, 'idle CPU at 50')[0] ?? '', /schedstat/);
});

test('the per-program cost is the largest of the runs own differences, not max minus min across runs', () => {
  const t = renderTable(lines);
  // run 2: (30 - 9.5) MB / 40 = 524.8 KB; run 3: (20 - 5) / 40 = 384; max(big) - min(small) would be 640
  assert.equal(row(t, 'per-program cost, (PSS')[1], '524.8');
  assert.equal(row(t, 'per-program cost, (PSS')[2], 'supervisord 25.6');
});

test('start-all is the median of the runs; status comes from the run that measured it', () => {
  const t = renderTable(lines);
  assert.match(row(t, 'start-all of 50')[0] ?? '', /median of 3 runs/);
  assert.equal(row(t, 'start-all of 50')[1], '2.00');
  assert.equal(row(t, 'status of 50, CLI')[1], '7.0');
});

test('a results file from before --repeat (no repeat field) renders as one run', () => {
  const old = lines.filter((l) => l.metrics.repeat === 1).map((l) => ({ ...l, metrics: Object.fromEntries(Object.entries(l.metrics).filter(([k]) => k !== 'repeat' && k !== 'of' && k !== 'idleCpuSchedPct')) }));
  const t = renderTable(old);
  assert.match(row(t, 'idle footprint at 50, PSS')[0] ?? '', /\(1 run,/);
  assert.equal(row(t, 'idle footprint at 50, PSS')[1], '10.0');
  assert.match(row(t, 'idle CPU at 50')[0] ?? '', /10 ms ticks/);
});

test('CPU between readings: ns and ticks, a new process from 0, a gone one adds nothing', () => {
  const before = new Map([
    [1, { ticks: 10, ns: 100_000_000 }],
    [2, { ticks: 5, ns: 50_000_000 }],
  ]);
  const after = new Map([
    [1, { ticks: 12, ns: 125_000_000 }],
    [3, { ticks: 1, ns: 2_000_000 }],
  ]);
  const used = cpuBetween(before, after);
  assert.equal(used.ticksS, 0.03);
  assert.ok(Math.abs((used.schedS ?? 0) - 0.027) < 1e-9);
  assert.equal(cpuBetween(before, new Map([[1, { ticks: 12, ns: null }]])).schedS, null);
});

test('this process has schedstat nanoseconds and private memory', () => {
  const ns = cpuNs(process.pid);
  assert.ok(ns === null || ns > 0);
  assert.ok(privateKb(process.pid) > 0);
  assert.equal(cpuNs(2 ** 22 + 1), null);
});

test('--repeat takes a whole number of runs, 1 or more', () => {
  assert.equal(parseArgs(['--repeat', '3']).repeat, 3);
  assert.equal(parseArgs(['--quick']).repeat, null);
  assert.throws(() => parseArgs(['--repeat', '0']), /--repeat: a whole number of fleet runs, 1 or more \(got 0\)/);
  assert.throws(() => parseArgs(['--repeat=x']), /\(got x\)/);
});

test('a supervisor with fewer runs than the others (--repeat-peers) says how many beside its figure', () => {
  const t = renderTable(lines.filter((l) => l.supervisor === 'emperor' || l.metrics.repeat === 1));
  assert.equal(row(t, 'idle footprint at 50, PSS')[2], 'supervisord 21.0 (1 run)');
  assert.equal(row(t, 'idle footprint at 50, PSS')[1], '30.0');
  assert.deepEqual(parseArgs(['--repeat-peers', 'emperor,supervisord']).repeatPeers, ['emperor', 'supervisord']);
});

test("the end-of-run check finds this run's processes only, never another run's with the same prefix", async () => {
  const { spawn } = await import('node:child_process');
  const { benchLeftovers } = await import('../../bench/lib/leftovers.ts');
  const { tempDir, tempDirsMade } = await import('../../bench/lib/util.ts');
  const { readArgv } = await import('../../bench/lib/proc.ts');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const mine = tempDir('unit');
  const other = mkdtempSync(join(tmpdir(), 'emperor-bench-unit-'));
  // by command line (a node process naming the dir) and by working directory (a sleep started in it)
  const byArgv = (dir: string) => spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', join(dir, 'x')], { stdio: 'ignore' });
  const byCwd = (dir: string) => spawn('sleep', ['30'], { cwd: dir, stdio: 'ignore' });
  const kids = [byArgv(mine), byCwd(mine), byArgv(other), byCwd(other)];
  try {
    const deadline = Date.now() + 10_000;
    const execd = (i: number, argv: string[] | null): boolean => (i % 2 === 0 ? (argv?.at(-1) ?? '').endsWith('/x') : argv?.[0] === 'sleep');
    const started = (): boolean => kids.every((k, i) => execd(i, readArgv(k.pid ?? -1)));
    while (!started() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const pids = benchLeftovers(tempDirsMade()).map((l) => l.pid);
    assert.deepEqual(kids.map((k) => pids.includes(k.pid ?? -1)), [true, true, false, false]);
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    rmSync(mine, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
