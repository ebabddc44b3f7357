// The diagnostics' clock and sample summaries: monotonic ms, interpolated quantiles, median/p90/min/max lines.

/** Monotonic time in milliseconds (process.hrtime). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Summary of a list of samples, in the samples' unit. */
export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The value at quantile q (0..1) of sorted samples, by linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

/** Median, p90, min and max of the samples. */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: round3(quantile(s, 0.5)),
    p90: round3(quantile(s, 0.9)),
    min: round3(s[0] ?? NaN),
    max: round3(s[s.length - 1] ?? NaN),
  };
}

/** One human-readable line for a summary. */
export function formatSummary(label: string, s: Summary, unit = 'ms'): string {
  const f = (x: number): string => x.toFixed(unit === 'ms' ? 2 : 1);
  return `${label}: median ${f(s.median)} ${unit}, p90 ${f(s.p90)} ${unit}, min ${f(s.min)} ${unit}, max ${f(s.max)} ${unit} (n=${s.n})`;
}
