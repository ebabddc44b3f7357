// bench/log-throughput.ts's sizes, pacing, the anchors and the target (REPS is argv[2]).

/** Repetitions of each run (plain, emperor, supervisord interleaved). */
export const REPS = Number(process.argv[2] ?? 5);
/** The test file: LINES lines of LINE_BYTES bytes (`line N ` padded with 'x', then '\n'). */
export const LINE_BYTES = 100;
export const LINES = 2_097_152;
export const TOTAL_BYTES = LINE_BYTES * LINES; // 200 MiB
export const MIB = 1024 * 1024;
export const TOTAL_MB = TOTAL_BYTES / MIB;
/** Lines per generation batch: 655 x 100 B = 65,500 B, just under 64 KiB. */
export const BATCH_LINES = Math.floor((64 * 1024) / LINE_BYTES);
/** The emperor's defaults (log-max-size 50M, log-backups 5); supervisord is given the same. */
export const MAX_LOG_BYTES = 50 * MIB;
/** A size that is neither a multiple of 64 KiB nor of the 100-byte lines: one extra run of each supervisor. */
export const UNALIGNED_MAX = 50_000_050;
/** Quiet time after a supervisor answers, before its CPU is read. */
export const SETTLE_MS = 500;
/** Flood check: stats reads, their spacing, and idle reads before the flood for comparison. */
export const FLOOD_READS = 50;
export const FLOOD_GAP_MS = 100;
export const IDLE_READS = 20;
export const IDLE_GAP_MS = 25;

/** The numbers (its machine, same 200 MB; not measured here). */
export const ANCHORS = [
  { name: 'plain file (issue)', mbps: 402, cpu: null, rotating: false },
  { name: 'supervisord (issue)', mbps: 167, cpu: 0.48, rotating: true },
  { name: 'PM2 (issue)', mbps: 102, cpu: 1.77, rotating: true },
  { name: 's6-log (issue)', mbps: 110, cpu: 1.6, rotating: true },
  { name: 'uWSGI child-owned file (issue)', mbps: 382, cpu: 0.01, rotating: false },
] as const;
/** The target for the emperor: informational, never asserted. */
export const TARGET = { mbps: 300, cpu: 0.25 };
