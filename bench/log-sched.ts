// How the logs scenario's writer is scheduled under a supervisor: `perf record -a` of the scheduler's
// switch and wake-up events during one `bench/suite.ts --only logs-8k` run, then, over the writer's life
// (`head` for 8k, `cat` for 128k): how often it was preempted (and by what) or blocked, who woke whom onto
// which CPU, and how busy each CPU was with what. Linux, root (or perf_event_paranoid <= -1), perf installed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { diagHeader } from './lib/header.ts';
import { run, sleep } from './lib/util.ts';
import { parseSchedLine as parse, type SchedEvent as Event } from './lib/sched-events.ts';

const USAGE = 'usage: node --import tsx bench/log-sched.ts [--peer emperor|supervisord] [--writer 8k|128k] [--tree DIR]';

const count = (m: Map<string, number>, k: string, n = 1): void => void m.set(k, (m.get(k) ?? 0) + n);
const top = (m: Map<string, number>, n = 6): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let peer = 'emperor';
  let writer = '8k';
  let tree = resolve(import.meta.dirname, '..');
  for (let i = 0; i < argv.length; i += 2) {
    const [a, v] = [argv[i], argv[i + 1]];
    if (a === '--peer' && (v === 'emperor' || v === 'supervisord')) peer = v;
    else if (a === '--writer' && (v === '8k' || v === '128k')) writer = v;
    else if (a === '--tree' && v !== undefined) tree = resolve(v);
    else throw new Error(USAGE);
  }
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error('perf is not installed (apt-get install linux-perf)');
  console.log(`${diagHeader('log-sched')}; ${peer}, logs-${writer}`);
  const dir = mkdtempSync(join(tmpdir(), 'emperor-bench-logsched-'));
  try {
    const data = join(dir, 'perf.data');
    const perf = spawn('perf', ['record', '-q', '-a', '-e', 'sched:sched_switch', '-e', 'sched:sched_wakeup', '-o', data], { stdio: 'ignore' });
    await sleep(500);
    const out = join(dir, 'run.jsonl');
    const r = await run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'suite.ts'), '--only', `logs-${writer}`, '--peers', peer, '--no-install', '--out', out], {
      env: { ...process.env, EMPEROR_BENCH_ROOT: tree },
      timeoutMs: 600_000,
    });
    perf.kill('SIGINT');
    await new Promise((ok) => perf.once('exit', ok));
    console.log(r.stdout.split('\n').find((l) => l.includes(`logs ${writer}:`))?.trim() ?? `suite exited ${r.code}`);
    const script = spawn('perf', ['script', '-i', data, '-F', 'comm,pid,cpu,time,event,trace'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const events: Event[] = [];
    for await (const line of createInterface({ input: script.stdout })) {
      const e = parse(line);
      if (e !== null) events.push(e);
    }
    report(events, writer === '8k' ? 'head' : 'cat');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The summary over the writer's life (its first to its last event).
function report(events: Event[], writerComm: string): void {
  const perPid = new Map<string, number>();
  for (const e of events) if (e.comm === writerComm) count(perPid, String(e.pid));
  const writer = Number(top(perPid, 1)[0]?.[0] ?? NaN);
  const mine = events.filter((e) => e.pid === writer);
  if (mine.length === 0) throw new Error(`no ${writerComm} in the recording`);
  const t0 = (mine[0] as Event).t;
  const t1 = (mine[mine.length - 1] as Event).t;
  const busy = new Map<string, number>();
  const last = new Map<number, number>();
  const preemptedBy = new Map<string, number>();
  const wakeups = new Map<string, number>();
  let blocked = 0;
  let preempted = 0;
  for (const e of events) {
    if (e.t < t0 || e.t > t1) continue;
    if (e.kind === 'switch') {
      count(busy, `cpu${e.cpu} ${e.prevComm}`, e.t - (last.get(e.cpu) ?? t0));
      last.set(e.cpu, e.t);
      if (e.prevPid === writer) {
        if (e.prevState === 'R' || e.prevState === 'R+') {
          preempted++;
          count(preemptedBy, e.nextComm ?? '?');
        } else blocked++;
      }
    } else if (e.pid === writer || e.wokenPid === writer) count(wakeups, `${e.woken} (${e.wokenPid === writer ? 'the writer' : e.wokenPid}) by ${e.comm}, onto cpu${e.targetCpu}`);
  }
  const span = t1 - t0;
  console.log(`writer ${writerComm} ${writer}: ${(span * 1000).toFixed(1)} ms; switched out ${preempted} times preempted, ${blocked} times blocked`);
  for (const [k, n] of top(preemptedBy)) console.log(`  preempted by ${k}: ${n}`);
  for (const [k, n] of top(wakeups, 8)) console.log(`  wake-ups: ${k}: ${n}`);
  for (const [k, s] of top(busy, 10)) if (s > span * 0.02) console.log(`  busy ${k}: ${((100 * s) / span).toFixed(1)}%`);
  console.log(JSON.stringify({ bench: 'log-sched', writer: writerComm, ms: Math.round(span * 1000), preempted, blocked, preemptedBy: Object.fromEntries(preemptedBy), wakeups: Object.fromEntries(top(wakeups, 8)) }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
