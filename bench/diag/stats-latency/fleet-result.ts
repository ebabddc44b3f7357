// What one fleet measured (the JSON shape), and the commands timed against each fleet.
import { join } from 'node:path';
import { ROOT } from '../../lib/emperor-tree.ts';
import { type Summary } from '../../lib/summary.ts';
import { type Summary99 } from './constants.ts';
import { type Cmd } from './cpu-and-commands.ts';

/** Everything measured on one fleet. */
export interface FleetResult {
  vassals: number;
  all_running_ms: number;
  doc_bytes: number;
  /** part 1: connect -> whole document received and parsed, SEQ_READS sequential reads. */
  stats_read_ms: Summary99;
  stats_connect_ms: Summary;
  stats_first_byte_ms: Summary;
  stats_eof_ms: Summary;
  /** the slowest part-1 read: seconds after the emperor started (its rescan runs every 30 s). */
  slowest_read_at_s: number;
  /** JSON.parse / JSON.stringify of this document inside the bench process, median of 20 (the client's share, and the emperor's stringify share). */
  bench_parse_ms: number;
  bench_stringify_ms: number;
  /** part 2: spawn -> exit, CTL_ROUNDS rounds each, interleaved. */
  ctl_ms: Record<string, Summary>;
  ctl_stdout: Record<string, { bytes: number; lines: number }>;
  /** part 3. */
  idle_ping_ms: Summary99;
  burst_read_ms: Summary;
  burst_median_ms: Summary;
  burst_max_ms: Summary;
  burst_ping_max_ms: Summary;
  /** sequential reads to EOF (no parse): total / RENDER_READS. */
  render_reads_total_ms: number;
  render_reads_avg_ms: number;
  render_first_byte_ms: Summary;
  pinged_read_ms: Summary;
  pinged_ping_max_ms: number;
  pinged_ping_ms: Summary99;
  ping_answers: string[];
  /** the emperor's CPU time (/proc, all its threads, 1/CLK_TCK resolution) and involuntary switches during part 1 and during the RENDER_READS reads. */
  emperor_cpu_part1: { cpu_ms: number; involuntary_switches: number };
  emperor_cpu_render_reads: { cpu_ms: number; involuntary_switches: number };
  /** collections while parts 1 and 3 ran, per `who kind`. */
  gc_during: Record<string, { n: number; total_ms: number; max_ms: number }>;
  /** the slowest part-1 reads, the slowest tiny requests, and the collections that overlapped each. */
  stalls: Array<{ what: string; ms: number; gcs: string }>;
  still_running: number;
  restarts: number;
  stop_ms: number;
  exit_code: number | null;
  leftovers: string[];
  problems: string[];
  samples: { stats_read_ms: number[]; burst_max_ms: number[]; burst_ping_max_ms: number[]; ctl_ms: Record<string, number[]> };
}

/** The commands timed spawn -> exit against each fleet, interleaved. */
export const CMDS: Cmd[] = [
  { key: 'node_e_0', label: 'node -e 0 (floor)', args: ['-e', '0'] },
  { key: 'ctl_help', label: 'node bin/emperorctl.cjs --help', args: [join(ROOT, 'bin/emperorctl.cjs'), '--help'] },
  { key: 'ctl_status', label: 'node bin/emperorctl.cjs status', args: [join(ROOT, 'bin/emperorctl.cjs'), 'status'] },
  { key: 'ctl_status_json', label: 'node bin/emperorctl.cjs status --json', args: [join(ROOT, 'bin/emperorctl.cjs'), 'status', '--json'] },
];
