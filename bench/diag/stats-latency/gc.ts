// Garbage collections of the emperor (--trace-gc lines) and of the bench (PerformanceObserver), to tell what a stall was.
import { constants as perfConstants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { EmperorProcess } from '../../lib/emperor-process.ts';
import { EMPEROR_BIN, type EmperorFlavour } from '../../lib/emperor-tree.ts';
import { nowMs } from '../../lib/summary.ts';
import { f1 } from './constants.ts';

/** One garbage collection; `end` on the bench's clock (nowMs), the pause just before it. */
export interface GcEvent {
  who: 'emperor' | 'bench';
  kind: string;
  end: number;
  pauseMs: number;
}

/**
 * The compiled emperor with `--trace-gc`: it prints one line per collection, which the bench stamps
 * when it arrives (the collection has just ended) — a few lines per second, on stdout.
 */
export const TRACED: EmperorFlavour = { label: 'compiled, --trace-gc (node --trace-gc bin/emperor.js)', nodeArgs: ['--trace-gc', EMPEROR_BIN] };
const GC_LINE = /\d+ ms: ([A-Za-z][A-Za-z ()-]*?) [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms/;

/** Collects the emperor's --trace-gc lines from its stdout. */
export function emperorGc(emp: EmperorProcess, into: GcEvent[]): void {
  let partial = '';
  emp.child.stdout?.on('data', (d: Buffer) => {
    const at = nowMs();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = GC_LINE.exec(line);
      if (m !== null) into.push({ who: 'emperor', kind: m[1] ?? '?', end: at, pauseMs: Number(m[2]) });
    }
  });
}

/** The bench's own collections (PerformanceObserver), for the whole run. */
export const benchGcs: GcEvent[] = [];
const perfOffset = nowMs() - performance.now();
const gcKinds: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
/** Watches the bench's own collections for the whole run (observe() is called by main). */
export const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = ((e as PerformanceEntry & { detail?: { kind?: number } | null }).detail ?? null)?.kind ?? -1;
    benchGcs.push({ who: 'bench', kind: gcKinds[kind] ?? String(kind), end: perfOffset + e.startTime + e.duration, pauseMs: e.duration });
  }
});

/** Collections whose pause overlaps [from, to] (with `slackMs` for the stdout stamp's delay). */
export const gcsIn = (gcs: readonly GcEvent[], from: number, to: number, slackMs = 0): GcEvent[] => gcs.filter((g) => g.end - g.pauseMs <= to && g.end + slackMs >= from);

/** "emperor Mark-Compact 28.1 ms, bench minor 1.2 ms" or "no GC". */
export function describeGcs(gcs: readonly GcEvent[]): string {
  return gcs.length === 0 ? 'no GC' : gcs.map((g) => `${g.who} ${g.kind} ${f1(g.pauseMs)} ms`).join(', ');
}

/** Per kind: count, total and longest pause. */
export function gcTotals(gcs: readonly GcEvent[]): Record<string, { n: number; total_ms: number; max_ms: number }> {
  const out: Record<string, { n: number; total_ms: number; max_ms: number }> = {};
  for (const g of gcs) {
    const t = (out[`${g.who} ${g.kind}`] ??= { n: 0, total_ms: 0, max_ms: 0 });
    t.n++;
    t.total_ms = Math.round((t.total_ms + g.pauseMs) * 100) / 100;
    t.max_ms = Math.max(t.max_ms, g.pauseMs);
  }
  return out;
}
