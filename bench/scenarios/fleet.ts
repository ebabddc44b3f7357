// A fleet of N programs: start-all, idle footprint (PSS, private), idle CPU, status latency (socket and CLI), shutdown.
import { treeOf } from '../lib/proc.ts';
import { cpuBetween, privateKb, readCpu } from '../lib/usage.ts';
import { quantile, round, run as runCommand, sleep } from '../lib/util.ts';
import { ownProcesses, program, pssOf, withSupervisor } from './common.ts';
import type { Ctx, Outcome } from './common.ts';

async function timeEach(rounds: number, fn: () => Promise<void>, before?: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await before?.();
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * One fleet of n programs (run `rep` of `of`): footprint 30 s after all ran, idle CPU at the busy size,
 * status at it and above (in the first run only: status is a latency, already a median of several reads).
 */
export function fleet(ctx: Ctx, n: number, rep = 1, of = ctx.params.repeat): Promise<Outcome> {
  return withSupervisor(ctx, `fleet${n}`, async (sup, scanner, tag) => {
    const problems: string[] = [];
    const metrics: Record<string, unknown> = { n, repeat: rep, of };
    const programs = Array.from({ length: n }, (_, i) => program(tag, i));
    const every = n > 100 ? 10 : 2;
    const run = of > 1 ? ` (run ${rep} of ${of})` : '';
    const t0 = performance.now();
    await sup.start(programs);
    const tAll = await scanner.until(() => scanner.children.size >= n, 600_000, every);
    if (tAll === null) throw new Error(`only ${scanner.children.size} of ${n} children after 600 s`);
    metrics.startAllMs = round(tAll - t0);
    ctx.say(`start-all ${n}${run}: ${round((tAll - t0) / 1000, 3)} s`);
    await sleep(Math.max(0, tAll + ctx.params.settleMs - performance.now()));
    const own = ownProcesses(sup, tag);
    const pss = pssOf(own);
    const priv = own.reduce((s, p) => s + privateKb(p.pid), 0);
    metrics.pssKb = pss;
    metrics.privateKb = priv;
    metrics.ownProcesses = own.length;
    ctx.say(`footprint at ${n}: ${round(pss / 1024, 1)} MB PSS, ${round(priv / 1024, 1)} MB private, in ${own.length} processes, ${round(ctx.params.settleMs / 1000)} s after all ran`);
    if (n === ctx.params.busySize) {
      const before = readCpu(ownProcesses(sup, tag));
      const tw = performance.now();
      await sleep(ctx.params.cpuWindowMs);
      const used = cpuBetween(before, readCpu(ownProcesses(sup, tag)));
      const seconds = (performance.now() - tw) / 1000;
      // schedstat (ns) when the kernel has it; 10 ms ticks otherwise, and always as the cross-check
      metrics.idleCpuTicksPct = round((used.ticksS / seconds) * 100, 3);
      if (used.schedS !== null) metrics.idleCpuSchedPct = round((used.schedS / seconds) * 100, 4);
      metrics.idleCpuPct = used.schedS !== null ? metrics.idleCpuSchedPct : metrics.idleCpuTicksPct;
      metrics.cpuWindowS = round(seconds, 1);
      ctx.say(`idle CPU at ${n}: ${metrics.idleCpuPct}% of one core over ${round(seconds, 1)} s (schedstat; ticks: ${metrics.idleCpuTicksPct}%)`);
    }
    if (n >= ctx.params.busySize && rep === 1) {
      for (const [kind, fn] of [['statusSocketMs', sup.statusSocket], ['statusCliMs', sup.statusCli]] as const) {
        if (fn === undefined) continue;
        try {
          await fn();
          // A CLI's floor is Node (or Python) starting and exiting: `node -e 0` is timed right before each read,
          // so the ratio compares the two at the same moment of a noisy machine.
          const floor: number[] = [];
          const samples = await timeEach(ctx.params.statusRounds, fn, kind === 'statusCliMs' ? async () => void floor.push((await runCommand(process.execPath, ['-e', '0'])).ms) : undefined);
          metrics[kind] = { median: round(quantile(samples, 0.5)), p90: round(quantile(samples, 0.9)), n: samples.length };
          if (floor.length > 0) metrics.statusCliOverNodeE0 = { median: round(quantile(samples.map((s, i) => s / (floor[i] ?? s)), 0.5), 2), nodeE0Ms: round(quantile(floor, 0.5)) };
          ctx.say(`${kind} at ${n}: median ${round(quantile(samples, 0.5))} ms${floor.length > 0 ? ` (node -e 0 interleaved: ${round(quantile(floor, 0.5))} ms)` : ''}`);
        } catch (err) {
          problems.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    const tracked = [...sup.roots(), ...treeOf(sup.roots()).map((s) => s.pid)];
    const ts = performance.now();
    await sup.stop();
    const tDown = await scanner.until(() => scanner.children.size === 0 && treeOf(tracked).length === 0, 600_000, every);
    if (tDown === null) problems.push(`shutdown of ${n}: ${scanner.children.size} children still running after 600 s`);
    else {
      metrics.shutdownMs = round(tDown - ts);
      ctx.say(`shutdown of ${n}: ${round((tDown - ts) / 1000, 3)} s`);
    }
    return { metrics, problems };
  });
}
