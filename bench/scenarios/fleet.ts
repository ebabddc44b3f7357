// A fleet of N programs: start-all, idle footprint (PSS), idle CPU, status latency (socket and CLI), shutdown.
import { TICKS_PER_SECOND, treeOf } from '../lib/proc.ts';
import { quantile, round, sleep } from '../lib/util.ts';
import { ownProcesses, program, pssOf, withSupervisor } from './common.ts';
import type { Ctx, Outcome } from './common.ts';

async function timeEach(rounds: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** One fleet of n programs; idle CPU at the params' busy size, status at it and above. */
export function fleet(ctx: Ctx, n: number): Promise<Outcome> {
  return withSupervisor(ctx, `fleet${n}`, async (sup, scanner, tag) => {
    const problems: string[] = [];
    const metrics: Record<string, unknown> = { n };
    const programs = Array.from({ length: n }, (_, i) => program(tag, i));
    const every = n > 100 ? 10 : 2;
    const t0 = performance.now();
    await sup.start(programs);
    const tAll = await scanner.until(() => scanner.children.size >= n, 600_000, every);
    if (tAll === null) throw new Error(`only ${scanner.children.size} of ${n} children after 600 s`);
    metrics.startAllMs = round(tAll - t0);
    ctx.say(`start-all ${n}: ${round((tAll - t0) / 1000, 3)} s`);
    await sleep(Math.max(0, tAll + ctx.params.settleMs - performance.now()));
    const own = ownProcesses(sup, tag);
    const pss = pssOf(own);
    metrics.pssKb = pss;
    metrics.ownProcesses = own.length;
    ctx.say(`footprint at ${n}: ${round(pss / 1024, 1)} MB PSS in ${own.length} processes, ${round(ctx.params.settleMs / 1000)} s after all ran`);
    if (n === ctx.params.busySize) {
      const before = ownProcesses(sup, tag);
      const tw = performance.now();
      await sleep(ctx.params.cpuWindowMs);
      const after = new Map(ownProcesses(sup, tag).map((s) => [s.pid, s.ticks]));
      const seconds = (performance.now() - tw) / 1000;
      let ticks = 0;
      for (const s of before) ticks += (after.get(s.pid) ?? s.ticks) - s.ticks;
      for (const [pid, t] of after) if (!before.some((s) => s.pid === pid)) ticks += t;
      metrics.idleCpuPct = round((ticks / TICKS_PER_SECOND / seconds) * 100, 3);
      metrics.cpuWindowS = round(seconds, 1);
      ctx.say(`idle CPU at ${n}: ${metrics.idleCpuPct}% of one core over ${round(seconds, 1)} s`);
    }
    if (n >= ctx.params.busySize) {
      for (const [kind, fn] of [['statusSocketMs', sup.statusSocket], ['statusCliMs', sup.statusCli]] as const) {
        if (fn === undefined) continue;
        try {
          await fn();
          const samples = await timeEach(ctx.params.statusRounds, fn);
          metrics[kind] = { median: round(quantile(samples, 0.5)), p90: round(quantile(samples, 0.9)), n: samples.length };
          ctx.say(`${kind} at ${n}: median ${round(quantile(samples, 0.5))} ms`);
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
