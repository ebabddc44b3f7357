// Interleaved A/B of the suite's logs scenario across emperor builds: each tree (a checkout with dist/ and
// build/ built) runs `bench/suite.ts --only logs-8k` in turn, the order rotating every round, so the load
// of a shared machine falls on every build alike; then medians and paired ratios to the first tree.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { diagHeader } from './lib/header.ts';
import { summarize } from './lib/summary.ts';
import { run } from './lib/util.ts';

const USAGE =
  'usage: node --import tsx bench/log-ab.ts --trees DIR,DIR[,...] [--pairs 12] [--writer 8k|128k] [--supervisord]\n' +
  '  each DIR: a tree with dist/ and build/ built (the first is the baseline the others are compared with)';

/** One run of one tree: emperor's figures, and supervisord's of the same suite run when asked for. */
interface Sample {
  mbPerS: number;
  cpuS: number;
  exact: boolean;
  supervisordMbPerS: number | null;
  supervisordCpuS: number | null;
}

interface Options {
  trees: string[];
  pairs: number;
  writer: '8k' | '128k';
  supervisord: boolean;
}

function options(argv: readonly string[]): Options {
  const o: Options = { trees: [], pairs: 12, writer: '8k', supervisord: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--trees' && v !== undefined) o.trees = v.split(',').map((t) => resolve(t));
    else if (a === '--pairs' && v !== undefined) o.pairs = Number(v);
    else if (a === '--writer' && (v === '8k' || v === '128k')) o.writer = v;
    else if (a === '--supervisord') {
      o.supervisord = true;
      continue;
    } else throw new Error(`${a ?? ''}: not understood\n${USAGE}`);
    i++;
  }
  if (o.trees.length < 2 || !Number.isInteger(o.pairs) || o.pairs < 1) throw new Error(USAGE);
  for (const t of o.trees) if (!existsSync(join(t, 'dist/cli/emperor.js'))) throw new Error(`${t}: no dist/cli/emperor.js (run npm ci && npm run build there)`);
  return o;
}

interface ResultLine {
  supervisor?: string;
  metrics?: { mbPerS?: number; cpuS?: number; linesExact?: boolean; rotation?: string };
}

// One suite run of the logs scenario with `tree`'s emperor (EMPEROR_BENCH_ROOT), read back from its results file.
async function once(tree: string, o: Options, out: string): Promise<Sample | string> {
  const peers = o.supervisord ? 'emperor,supervisord' : 'emperor';
  const suite = join(import.meta.dirname, 'suite.ts');
  const r = await run(process.execPath, ['--import', 'tsx', suite, '--only', `logs-${o.writer}`, '--peers', peers, '--no-install', '--out', out], {
    env: { ...process.env, EMPEROR_BENCH_ROOT: tree },
    cwd: resolve(import.meta.dirname, '..'),
    timeoutMs: 600_000,
  });
  if (!existsSync(out)) return `suite exited ${r.code}: ${r.stderr.slice(-300)}`;
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ResultLine);
  const e = lines.find((l) => l.supervisor === 'emperor')?.metrics;
  const s = lines.find((l) => l.supervisor === 'supervisord')?.metrics;
  if (e?.mbPerS === undefined || e.cpuS === undefined) return `no emperor result (exit ${r.code}): ${r.stdout.slice(-300)}`;
  return {
    mbPerS: e.mbPerS,
    cpuS: e.cpuS,
    exact: e.linesExact === true && e.rotation === 'exact',
    supervisordMbPerS: s?.mbPerS ?? null,
    supervisordCpuS: s?.cpuS ?? null,
  };
}

const f = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  console.log(`${diagHeader('log-ab')}; logs-${o.writer}, ${o.pairs} rounds, trees interleaved (order rotating): ${o.trees.join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'emperor-bench-logab-'));
  // samples[tree][round]: null when that run failed
  const samples: Array<Array<Sample | null>> = o.trees.map(() => []);
  try {
    for (let i = 0; i < o.pairs; i++) {
      for (let j = 0; j < o.trees.length; j++) {
        const k = (i + j) % o.trees.length;
        const tree = o.trees[k] as string;
        const s = await once(tree, o, join(dir, `r${i}-t${k}.jsonl`));
        const row = samples[k] as Array<Sample | null>;
        row[i] = typeof s === 'string' ? null : s;
        const what = typeof s === 'string' ? `FAILED ${s}` : `${s.mbPerS} MB/s, CPU ${s.cpuS} s${s.supervisordMbPerS === null ? '' : `; supervisord ${s.supervisordMbPerS} MB/s, CPU ${s.supervisordCpuS} s`}${s.exact ? '' : ', NOT exact'}`;
        console.log(`round ${i + 1} tree ${k + 1}: ${what}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = o.trees.map((tree, k) => {
    const got = (samples[k] as Array<Sample | null>).filter((s): s is Sample => s !== null);
    const base = samples[0] as Array<Sample | null>;
    const paired = (samples[k] as Array<Sample | null>).flatMap((s, i) => (s !== null && base[i] != null ? [s.mbPerS / (base[i] as Sample).mbPerS] : []));
    const vsSup = got.flatMap((s) => (s.supervisordMbPerS === null ? [] : [s.mbPerS / s.supervisordMbPerS]));
    return {
      tree,
      runs: got.length,
      mbPerS: summarize(got.map((s) => s.mbPerS)),
      cpuS: summarize(got.map((s) => s.cpuS)),
      exact: got.every((s) => s.exact),
      pairedToFirst: k === 0 ? null : { median: summarize(paired).median, wins: paired.filter((x) => x > 1).length, of: paired.length },
      toSupervisord: vsSup.length === 0 ? null : { mbPerS: summarize(vsSup).median, cpuS: summarize(got.flatMap((s) => (s.supervisordCpuS === null ? [] : [s.cpuS / s.supervisordCpuS]))).median },
    };
  });
  for (const [k, s] of summary.entries()) {
    const vs = s.pairedToFirst === null ? 'the baseline' : `paired MB/s ratio to tree 1: median ${f(s.pairedToFirst.median)}, faster in ${s.pairedToFirst.wins} of ${s.pairedToFirst.of} rounds`;
    const sup = s.toSupervisord === null ? '' : `; ÷ supervisord of the same run: MB/s ${f(s.toSupervisord.mbPerS)}, CPU ${f(s.toSupervisord.cpuS)}`;
    console.log(`tree ${k + 1} ${s.tree}: ${s.runs} runs, MB/s median ${s.mbPerS.median} (${s.mbPerS.min}-${s.mbPerS.max}), CPU s median ${s.cpuS.median}, ${s.exact ? 'exact' : 'NOT exact'}; ${vs}${sup}`);
  }
  console.log(JSON.stringify({ bench: 'log-ab', writer: o.writer, pairs: o.pairs, summary }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
