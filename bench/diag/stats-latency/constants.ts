// bench/stats-latency.ts's sizes (argv), rounds, pacing, the anchors, and small number helpers.
import { quantile, summarize, type Summary } from '../../lib/summary.ts';

/** The command line, for errors. */
export const USAGE = 'usage: node --import tsx bench/stats-latency.ts [VASSALS=500] [MORE_VASSALS...]   (e.g. `500 1000`; a 1-vassal floor fleet always runs first)';

/** Fleet sizes to measure (argv), after the 1-vassal floor. */
export const SIZES = process.argv.slice(2).length === 0 ? [500] : process.argv.slice(2).map(Number);
/** Part 1: sequential stats reads, connect -> parsed. */
export const SEQ_READS = 100;
/** Part 2: rounds of each emperorctl / node command (after one warm-up round). */
export const CTL_ROUNDS = 20;
/** Part 3: bursts of concurrent stats reads, and reads per burst. */
export const BURSTS = 10;
export const BURST_SIZE = 20;
export const BURST_GAP_MS = 100;
/** Part 3: sequential reads (read to EOF, no parse) whose average is the per-read cost. */
export const RENDER_READS = 200;
/** Part 3: sequential reads made while the control-socket pinger runs. */
export const PINGED_READS = 50;
/** How long the tiny request runs alone (nothing else going on), for its floor. */
export const IDLE_PING_MS = 300;
/** Gap between two pings of the background pinger. */
export const PING_GAP_MS = 1;
/** Quiet time once every vassal is RUNNING, before anything is measured. */
export const SETTLE_MS = 2000;
/** The tiny request: an unknown command, answered `bad-request` after parsing one line; no side effect. */
export const PING_LINE = '{"v":1,"cmd":"bench-ping"}\n';

/** The numbers the issue quotes (its machine, not measured here). */
export const ANCHORS = {
  target_ms_at_500: 5,
  uwsgi_emperor_stats_ms: 7,
  supervisorctl_status_ms: 800,
  pm2_jlist_ms: 530,
} as const;

/** Summary with a p99 too. */
export interface Summary99 extends Summary {
  p99: number;
}

/** Median, p90, min, max and p99 of samples. */
export function summarize99(samples: readonly number[]): Summary99 {
  const s = [...samples].sort((a, b) => a - b);
  return { ...summarize(samples), p99: Math.round(quantile(s, 0.99) * 1000) / 1000 };
}

/** Number formatting and small statistics for the printed lines. */
export const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));
export const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : String(x));
export const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
export const max = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, x), -Infinity);
