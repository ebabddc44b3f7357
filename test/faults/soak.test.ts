// Soak: crash-and-respawn cycles (each crash after the 1 s floor, so a hundred crashing vassals run at once);
// the emperor's RSS and open descriptors are sampled and their slopes reported, in the first and second half
// (a heap that settles flattens; a leak keeps its slope). CI: 1,500 cycles; EMPEROR_FAULTS_LONG=1: 10,000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { freePort, vassalFile, waitFor, withEmperor } from '../integration/harness.ts';

const LONG = process.env.EMPEROR_FAULTS_LONG === '1';
const CYCLES = Number(process.env.EMPEROR_SOAK_CYCLES ?? (LONG ? 10_000 : 1_500));
const VASSALS = 100;

interface Point {
  cycles: number;
  rssMiB: number;
  fds: number;
  /** the emperor's V8 heap in use (its own nodejs_heap_size_used_bytes): live objects, unlike RSS. */
  heapMiB: number;
  /** memory outside the V8 heap that JavaScript holds (Buffers). */
  externalMiB: number;
}

// Least-squares slope of y over x.
function slope(points: Point[], y: (p: Point) => number): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.cycles, 0) / n;
  const my = points.reduce((a, p) => a + y(p), 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.cycles - mx) * (y(p) - my);
    den += (p.cycles - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

test(`soak: ${CYCLES} crash-and-respawn cycles; RSS and descriptor slopes`, { timeout: (CYCLES / 40 + 180) * 1000 }, async () => {
  const port = await freePort();
  const heap = async (): Promise<{ heap: number; external: number }> => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
    const of = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
    return { heap: of('nodejs_heap_size_used_bytes'), external: of('nodejs_external_memory_bytes') };
  };
  await withEmperor(['--sample-interval', '1s', '--metrics', `127.0.0.1:${port}`], async (e) => {
    for (let i = 0; i < VASSALS; i++) {
      e.write(`c${i}.ini`, vassalFile({ command: `/bin/sh -c 'sleep 1.${100 + i}; exit 3'`, 'stop-timeout': '1s', 'start-retries': 1000 }));
    }
    const restarts = async (): Promise<number> => (await e.stats()).vassals.reduce((a, v) => a + v.restarts, 0);
    await waitFor('the first crashes', async () => (await restarts()) >= VASSALS, 60_000, 500);
    const points: Point[] = [];
    const t0 = Date.now();
    for (;;) {
      const cycles = await restarts();
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${e.pid}/status`, 'latin1'))?.[1] ?? 0) / 1024;
      points.push({ cycles, rssMiB: rss, fds: readdirSync(`/proc/${e.pid}/fd`).length, ...(await heap().then((h) => ({ heapMiB: h.heap, externalMiB: h.external }))) });
      if (cycles >= CYCLES + VASSALS) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seconds = (Date.now() - t0) / 1000;
    const half = Math.floor(points.length / 2);
    const per1000 = (s: number): string => (s * 1000).toFixed(2);
    const first = points[0] as Point;
    const last = points[points.length - 1] as Point;
    const rssAll = slope(points, (p) => p.rssMiB);
    const rss1 = slope(points.slice(0, half), (p) => p.rssMiB);
    const rss2 = slope(points.slice(half), (p) => p.rssMiB);
    const fdAll = slope(points, (p) => p.fds);
    const fds2 = slope(points.slice(half), (p) => p.fds);
    const heap2 = slope(points.slice(half), (p) => p.heapMiB);
    process.stdout.write(
      `# soak: ${last.cycles - first.cycles} crash-and-respawn cycles of ${VASSALS} vassals in ${seconds.toFixed(0)} s (${((last.cycles - first.cycles) / seconds).toFixed(0)}/s); ` +
        `RSS ${first.rssMiB.toFixed(1)} -> ${last.rssMiB.toFixed(1)} MiB, slope ${per1000(rssAll)} MiB per 1000 cycles (first half ${per1000(rss1)}, second half ${per1000(rss2)}); ` +
        `V8 heap used ${first.heapMiB.toFixed(1)} -> ${last.heapMiB.toFixed(1)} MiB (second half ${per1000(heap2)} MiB per 1000 cycles), external ${first.externalMiB.toFixed(1)} -> ${last.externalMiB.toFixed(1)} MiB; ` +
        `descriptors ${first.fds} -> ${last.fds}, slope ${per1000(fdAll)} per 1000 cycles (second half ${per1000(fds2)})\n`,
    );
    // Generous bounds: a leak of one descriptor or 64 KiB per cycle fails, noise does not. Descriptors
    // swing with how many vassals are between a crash and a respawn at a sample: quarters' medians compare.
    const quarter = Math.max(1, Math.floor(points.length / 4));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const early = median(points.slice(0, quarter).map((p) => p.fds));
    const late = median(points.slice(-quarter).map((p) => p.fds));
    process.stdout.write(`# soak: descriptors, median of the first quarter ${early}, of the last ${late}\n`);
    assert.ok(late - early < 150, `descriptors ${early} -> ${late}`);
    assert.ok(rss2 * 1000 < 64, `RSS grows by ${per1000(rss2)} MiB per 1000 cycles in the second half`);
    for (let i = 0; i < VASSALS; i++) e.remove(`c${i}.ini`);
    await waitFor('every vassal gone', async () => (await e.stats()).vassals.length === 0, 60_000, 250);
  });
});
