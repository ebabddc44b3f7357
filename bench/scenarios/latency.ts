// Pickup (a new program to its child running) and respawn (SIGKILL of the child to its replacement running).
import { quantile, round, sleep } from '../lib/util.ts';
import { program, withSupervisor } from './common.ts';
import type { Ctx, Outcome } from './common.ts';

function summary(samples: number[]): Record<string, number> {
  return { median: round(quantile(samples, 0.5)), p90: round(quantile(samples, 0.9)), min: round(Math.min(...samples)), max: round(Math.max(...samples)), n: samples.length };
}

/** Pickup: the program is staged beside the supervisor's directory, then renamed in (plus the peer's command). */
export function pickup(ctx: Ctx): Promise<Outcome> {
  return withSupervisor(ctx, 'pickup', async (sup, scanner, tag) => {
    const problems: string[] = [];
    const base = program(tag, 0);
    await sup.start([base]);
    if ((await scanner.until(() => scanner.children.has(base.marker), 60_000)) === null) throw new Error('the first program never ran');
    const samples: number[] = [];
    for (let r = 1; r <= ctx.params.rounds; r++) {
      const p = program(tag, r);
      await sup.stage(p);
      await sleep(250);
      const t0 = performance.now();
      const seen = scanner.until(() => scanner.children.has(p.marker), 20_000);
      await sup.add(p);
      const t1 = await seen;
      if (t1 === null) {
        problems.push(`round ${r}: not running 20 s after the pickup`);
        continue;
      }
      samples.push(t1 - t0);
    }
    ctx.say(`pickup ms: median ${round(quantile(samples, 0.5))}, p90 ${round(quantile(samples, 0.9))} (n=${samples.length})`);
    return { metrics: { pickupMs: summary(samples), samples: samples.map((s) => round(s)) }, problems };
  });
}

/** Respawn: one program; each round its child has run at least 1.2 s, is SIGKILLed, and a new pid appears. */
export function respawn(ctx: Ctx): Promise<Outcome> {
  return withSupervisor(ctx, 'respawn', async (sup, scanner, tag) => {
    const problems: string[] = [];
    const p = program(tag, 0);
    await sup.start([p]);
    const samples: number[] = [];
    let pid = 0;
    let since = 0;
    for (let r = 0; r < ctx.params.rounds; r++) {
      if ((await scanner.until(() => scanner.children.has(p.marker), 30_000)) === null) throw new Error(`round ${r}: no child running`);
      const now = scanner.children.get(p.marker) ?? 0;
      if (now !== pid) {
        pid = now;
        since = performance.now();
      }
      const wait = since + 1200 - performance.now();
      if (wait > 0) await sleep(wait);
      const old = scanner.children.get(p.marker) ?? 0;
      const t0 = performance.now();
      try {
        process.kill(old, 'SIGKILL');
      } catch {
        problems.push(`round ${r}: child ${old} already gone`);
        continue;
      }
      const t1 = await scanner.until(() => {
        const c = scanner.children.get(p.marker);
        return c !== undefined && c !== old;
      }, 30_000);
      if (t1 === null) {
        problems.push(`round ${r}: no new child 30 s after SIGKILL`);
        continue;
      }
      samples.push(t1 - t0);
      pid = scanner.children.get(p.marker) ?? 0;
      since = t1;
    }
    ctx.say(`respawn ms: median ${round(quantile(samples, 0.5))}, p90 ${round(quantile(samples, 0.9))} (n=${samples.length})`);
    return { metrics: { respawnMs: summary(samples), samples: samples.map((s) => round(s)) }, problems };
  });
}
