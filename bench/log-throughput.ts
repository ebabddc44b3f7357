// Log throughput: a child `cat`ing 200 MB of 100-byte lines straight to a file (three ways), through the
// emperor (exact rotation, 50M x 4 files) and through supervisord; the child's wall time, the supervisor's
// CPU seconds, whether every line arrived whole; then the stats socket's latency while a vassal floods.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, cleanupOnInterrupt, tempRoot } from './lib/cleanup.ts';
import { distWarning } from './lib/emperor-tree.ts';
import { cmdline, short, signal } from './lib/proc-groups.ts';
import { formatSummary, nowMs, summarize } from './lib/summary.ts';
import { REPS, LINE_BYTES, LINES, TOTAL_BYTES, TOTAL_MB, MAX_LOG_BYTES, UNALIGNED_MAX, FLOOD_READS, FLOOD_GAP_MS, ANCHORS, TARGET } from './diag/log-throughput/constants.ts';
import { CLK_TCK, type Cpu, type Counters, processesMatching } from './lib/proc-counters.ts';
import { makeTestFile, sha1Files, describeCheck } from './diag/log-throughput/log-files.ts';
import { type PlainRun, PLAIN_VARIANTS, plainRun } from './diag/log-throughput/plain.ts';
import { type SupervisedRun, emperorRun, emperorFixedCost } from './diag/log-throughput/emperor-runs.ts';
import { ensureSupervisord, supervisordRun } from './diag/log-throughput/supervisord-runs.ts';
import { floodCheck } from './diag/log-throughput/flood.ts';
import { diagHeader } from './lib/header.ts';

// --- main --------------------------------------------------------------------------------------------------

const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Median, min and max of a list, for the table. */
function mmm(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = summarize(xs);
  return { median: s.median, min: s.min, max: s.max };
}

async function main(): Promise<void> {
  if (!Number.isInteger(REPS) || REPS < 1) throw new Error('usage: node --import tsx bench/log-throughput.ts [REPS=5]');
  cleanupOnInterrupt();
  const loadBefore = loadavg()[0] ?? NaN;
  const stale = distWarning();
  if (stale !== null) console.log(`warning: ${stale}`);
  console.log(`${diagHeader('log-throughput')}; ${REPS} repetitions`);
  const sup = ensureSupervisord();
  if (sup.note !== null) console.log(sup.note);
  const supVersion = sup.ok ? spawnSync('supervisord', ['--version'], { encoding: 'utf8' }).stdout.trim() : null;

  const root = tempRoot('emperor-bench-logtp');
  const src = join(root, 'lines.txt');
  const genMs = makeTestFile(src);
  const t = nowMs();
  const srcSha1 = sha1Files([src]);
  const empty = join(root, 'empty.txt');
  writeFileSync(empty, '');
  console.log(
    `test file: ${LINES} lines x ${LINE_BYTES} B = ${TOTAL_BYTES} B (${TOTAL_MB} MiB) written in ${fmt(genMs / 1000)} s (sha1 ${srcSha1.slice(0, 12)}, ${fmt((nowMs() - t) / 1000)} s)`,
  );
  console.log(`MB/s below = ${TOTAL_MB} MiB / the child's wall time; CPU = utime+stime of the supervisor process (all threads, ${CLK_TCK} Hz ticks), user/sys split`);
  console.log('wall: plain = spawn -> exit of sh -c "..."; emperor = its RUNNING -> EXITED event lines; supervisord = "spawned" -> "exited" lines of its log (all ms-precise)');
  for (const v of PLAIN_VARIANTS) console.log(`plain "${v.label}": ${v.note}`);

  const plain = new Map<string, PlainRun[]>(PLAIN_VARIANTS.map((v) => [v.key, []]));
  const emperor: SupervisedRun[] = [];
  const supervisord: SupervisedRun[] = [];
  const fixed: number[] = [];
  const problems: string[] = [];
  const cpuText = (r: SupervisedRun): string =>
    `CPU ${fmt(r.cpuS)} s (user ${fmt(r.cpu.user)}, sys ${fmt(r.cpu.sys)}; ${r.counters.reads} reads, ${r.counters.writes} writes, ` +
    `${r.counters.minflt} minor faults, ${r.counters.voluntary}+${r.counters.involuntary} ctx switches)`;
  const exactFor = (r: SupervisedRun, maxBytes: number): boolean =>
    r.check.identical && r.check.files.every((f) => f.size === 0 || f.endsWithNewline) && r.check.maxFileBytes <= maxBytes;
  const emperorLine = (label: string, r: SupervisedRun, maxBytes: number): string =>
    `${label}: wall ${fmt(r.wallS, 3)} s = ${fmt(r.mbps, 1)} MB/s, ${cpuText(r)}, last byte ${fmt(r.lastByteS, 3)} s after start (${fmt(r.drainMs, 0)} ms from the exit line); ${describeCheck(r.check)}; ${exactFor(r, maxBytes) ? 'EXACT' : 'NOT EXACT'}`;
  const supervisordLine = (label: string, r: SupervisedRun): string =>
    `${label}: wall ${fmt(r.wallS, 3)} s = ${fmt(r.mbps, 1)} MB/s, ${cpuText(r)}, last byte ${fmt(r.lastByteS, 3)} s after start (${fmt(r.drainMs, 0)} ms from the exit line); ${describeCheck(r.check)}; largest file ${r.check.maxFileBytes} B`;
  for (let rep = 1; rep <= REPS; rep++) {
    for (const v of PLAIN_VARIANTS) {
      const p = await plainRun(src, join(root, `plain-${v.key}-${rep}`), v.command);
      plain.get(v.key)?.push(p);
      console.log(`rep ${rep} plain ${v.label.padEnd(30)}: wall ${fmt(p.wallS, 3)} s = ${fmt(p.mbps, 1)} MB/s${p.bytes === TOTAL_BYTES ? '' : ` (OUT has ${p.bytes} bytes!)`}`);
    }
    const e = await emperorRun(src, srcSha1, join(root, `emperor-${rep}`));
    emperor.push(e);
    console.log(emperorLine(`rep ${rep} emperor    `, e, MAX_LOG_BYTES));
    problems.push(...e.problems.map((x) => `rep ${rep} emperor: ${x}`));
    const z = await emperorFixedCost(empty, join(root, `emperor-empty-${rep}`));
    fixed.push(z.cpuS);
    console.log(`rep ${rep} emperor, 0-byte child: CPU ${fmt(z.cpuS)} s (pickup + spawn + exit, no copy)`);
    problems.push(...z.problems.map((x) => `rep ${rep} emperor (0 bytes): ${x}`));
    if (sup.ok) {
      const r = await supervisordRun(src, srcSha1, join(root, `supervisord-${rep}`));
      supervisord.push(r);
      console.log(supervisordLine(`rep ${rep} supervisord`, r));
      problems.push(...r.problems.map((x) => `rep ${rep} supervisord: ${x}`));
    }
  }

  // 50 MiB is a multiple of the 100-byte lines and of supervisord's 64 KiB pipe reads, so its rotation
  // lands on a line boundary by luck; a size that is neither shows how each rotates (one run each).
  console.log('');
  console.log(`once each, max size ${UNALIGNED_MAX} bytes (not a multiple of 64 KiB nor of 100 B; 5 files):`);
  const eOdd = await emperorRun(src, srcSha1, join(root, 'emperor-unaligned'), UNALIGNED_MAX);
  console.log(emperorLine(`emperor     log-max-size = ${UNALIGNED_MAX}`, eOdd, UNALIGNED_MAX));
  problems.push(...eOdd.problems.map((x) => `unaligned emperor: ${x}`));
  let sOdd: SupervisedRun | null = null;
  if (sup.ok) {
    sOdd = await supervisordRun(src, srcSha1, join(root, 'supervisord-unaligned'), UNALIGNED_MAX);
    console.log(supervisordLine(`supervisord stdout_logfile_maxbytes=${UNALIGNED_MAX}`, sOdd));
    problems.push(...sOdd.problems.map((x) => `unaligned supervisord: ${x}`));
  }

  const row = (name: string, mbps: readonly number[], cpu: readonly Cpu[] | null): string => {
    const m = mmm(mbps);
    const c = cpu === null ? null : mmm(cpu.map((x) => x.user + x.sys));
    const u = cpu === null ? null : mmm(cpu.map((x) => x.user)).median;
    const k = cpu === null ? null : mmm(cpu.map((x) => x.sys)).median;
    return `${name.padEnd(34)} ${fmt(m.median, 1).padStart(7)} MB/s (min ${fmt(m.min, 1)}, max ${fmt(m.max, 1)})   ${c === null ? '' : `CPU ${fmt(c.median)} s (min ${fmt(c.min)}, max ${fmt(c.max)}; median user ${fmt(u ?? NaN)}, sys ${fmt(k ?? NaN)})`}`;
  };
  const perRun = (rs: readonly SupervisedRun[]): string => {
    const med = (f: (c: Counters) => number): string => fmt(mmm(rs.map((r) => f(r.counters))).median, 0);
    const lb = mmm(rs.map((r) => r.lastByteS)).median;
    return `start -> last byte in the files: median ${fmt(lb, 3)} s = ${fmt(TOTAL_MB / lb, 1)} MB/s; per 200 MiB: ${med((c) => c.reads)} read syscalls (${fmt(TOTAL_BYTES / 1024 / mmm(rs.map((r) => r.counters.reads)).median, 1)} KiB each), ${med((c) => c.writes)} write syscalls, ${med((c) => c.minflt)} minor faults, ${med((c) => c.voluntary + c.involuntary)} context switches`;
  };
  console.log('');
  console.log(`median of ${REPS} (this machine):`);
  for (const v of PLAIN_VARIANTS) console.log(row(`plain: ${v.label}`, (plain.get(v.key) ?? []).map((r) => r.mbps), null));
  console.log(row('emperor (exact rotation)', emperor.map((r) => r.mbps), emperor.map((r) => r.cpu)));
  console.log(`${''.padEnd(35)}${perRun(emperor)}`);
  const fixedM = mmm(fixed);
  console.log(`${'emperor, 0-byte child'.padEnd(34)} ${' '.repeat(36)}CPU ${fmt(fixedM.median)} s (min ${fmt(fixedM.min)}, max ${fmt(fixedM.max)}): fixed cost, pickup + spawn + exit`);
  if (supervisord.length > 0) {
    console.log(row(`supervisord ${supVersion ?? ''}`, supervisord.map((r) => r.mbps), supervisord.map((r) => r.cpu)));
    console.log(`${''.padEnd(35)}${perRun(supervisord)}`);
  }
  console.log("for scale, the issue's machine:");
  for (const a of ANCHORS) console.log(`${a.name.padEnd(34)} ${fmt(a.mbps, 1).padStart(7)} MB/s${a.cpu === null ? '' : `${' '.repeat(26)}CPU ${fmt(a.cpu)} s`}`);

  const eMbps = mmm(emperor.map((r) => r.mbps)).median;
  const eCpu = mmm(emperor.map((r) => r.cpuS)).median;
  const sMbps = supervisord.length > 0 ? mmm(supervisord.map((r) => r.mbps)).median : NaN;
  const sCpu = supervisord.length > 0 ? mmm(supervisord.map((r) => r.cpuS)).median : NaN;
  const allExact = emperor.every((r) => exactFor(r, MAX_LOG_BYTES)) && exactFor(eOdd, UNALIGNED_MAX);
  const rotating = ANCHORS.filter((a) => a.rotating);
  const aheadOfAnchors = rotating.every((a) => eMbps > a.mbps && (a.cpu === null || eCpu < a.cpu));
  const aheadOfSupervisord = supervisord.length > 0 ? eMbps > sMbps && eCpu < sCpu : null;
  const medianOf = (key: string): number => mmm((plain.get(key) ?? []).map((r) => r.mbps)).median;
  console.log('');
  console.log(
    `verdict (informational): emperor ${fmt(eMbps, 1)} MB/s ${eMbps >= TARGET.mbps ? '>=' : '<'} ${TARGET.mbps} target; CPU ${fmt(eCpu)} s ${eCpu <= TARGET.cpu ? '<=' : '>'} ${TARGET.cpu} s target; ` +
      `${allExact ? 'exact in every run' : 'NOT exact in every run'}; ${aheadOfAnchors ? 'ahead of' : 'NOT ahead of'} every rotating anchor of the issue on both; ` +
      `${aheadOfSupervisord === null ? 'supervisord not measured' : `${aheadOfSupervisord ? 'ahead of' : 'NOT ahead of'} supervisord measured here on both (${fmt(sMbps, 1)} MB/s, ${fmt(sCpu)} s)`}`,
  );
  console.log(
    `emperor speed = ${fmt((eMbps / medianOf('dd_file')) * 100, 0)}% of dd to a file, ${fmt((eMbps / medianOf('cat_pipe_cat')) * 100, 0)}% of cat | cat > OUT` +
      (supervisord.length > 0 ? `; supervisord = ${fmt((sMbps / medianOf('dd_file')) * 100, 0)}% of dd, ${fmt((sMbps / medianOf('cat_pipe_cat')) * 100, 0)}% of cat | cat > OUT` : ''),
  );

  console.log('');
  console.log(`flood: sh -c 'while :; do cat F; done' through the emperor (log rotation 50M x 5), ${FLOOD_READS} stats reads ${FLOOD_GAP_MS} ms apart`);
  const flood = await floodCheck(src, join(root, 'flood'));
  console.log(formatSummary('stats read, emperor idle (before)', flood.idle));
  console.log(formatSummary('stats read, vassal flooding      ', flood.flood));
  console.log(
    `flood window ${fmt(flood.windowS, 1)} s: emperor CPU ${fmt(flood.cpuPercent, 0)}% of one core, wrote ${fmt(flood.writeMBps, 0)} MB/s (/proc/PID/io wchar); ` +
      `failed reads ${flood.errors}; ${flood.rotatedFiles} rotated files, ${flood.rotatedEndingMidLine} ending mid-line, ${flood.rotatedOverMax} over 50 MiB; ` +
      `max read ${fmt(flood.flood.max)} ms ${flood.flood.max < 100 ? '<' : '>='} 100 ms wanted`,
  );
  problems.push(...flood.problems.map((x) => `flood: ${x}`));

  await cleanupAll();
  const strays = processesMatching(src);
  for (const p of strays) {
    problems.push(`still running after cleanup (killed): ${p} (${short(cmdline(p))})`);
    signal(p, 'SIGKILL');
  }
  if (existsSync(root)) problems.push(`temp dir ${root} still exists`);
  for (const p of problems) console.log(`problem: ${p}`);
  const loadAfter = loadavg()[0] ?? NaN;
  console.log(`1-min load average: ${fmt(loadBefore)} at start, ${fmt(loadAfter)} at end (other work on the machine skews these numbers)`);
  const runs = (rs: readonly SupervisedRun[]): object =>
    rs.map((r) => ({
      wall_s: r.wallS,
      mbps: r.mbps,
      cpu_s: r.cpuS,
      cpu_user_s: r.cpu.user,
      cpu_sys_s: r.cpu.sys,
      syscalls_read: r.counters.reads,
      syscalls_write: r.counters.writes,
      minor_faults: r.counters.minflt,
      ctx_switches_voluntary: r.counters.voluntary,
      ctx_switches_involuntary: r.counters.involuntary,
      drain_ms: r.drainMs,
      last_byte_s: r.lastByteS,
      files: r.check.files,
      identical: r.check.identical,
      lines_whole: r.check.whole,
      lines_cut: r.check.cut,
      lines_lost: r.check.lost,
      not_test_lines: r.check.bad,
    }));
  console.log(
    JSON.stringify({
      bench: 'log-throughput',
      node: process.version,
      cpus: cpus().length,
      loadavg_1m: [loadBefore, loadAfter],
      reps: REPS,
      bytes: TOTAL_BYTES,
      lines: LINES,
      supervisord_version: supVersion,
      plain: Object.fromEntries(
        PLAIN_VARIANTS.map((v) => {
          const rs = plain.get(v.key) ?? [];
          return [v.key, { command: v.command('F', 'OUT'), mbps: mmm(rs.map((r) => r.mbps)), samples: rs.map((r) => ({ wall_s: r.wallS, mbps: r.mbps })) }];
        }),
      ),
      emperor: { mbps: mmm(emperor.map((r) => r.mbps)), cpu_s: mmm(emperor.map((r) => r.cpuS)), exact: allExact, runs: runs(emperor) },
      emperor_zero_bytes_cpu_s: { ...mmm(fixed), samples: fixed },
      supervisord:
        supervisord.length === 0 ? null : { mbps: mmm(supervisord.map((r) => r.mbps)), cpu_s: mmm(supervisord.map((r) => r.cpuS)), runs: runs(supervisord) },
      unaligned_max_bytes: UNALIGNED_MAX,
      emperor_unaligned: runs([eOdd]),
      supervisord_unaligned: sOdd === null ? null : runs([sOdd]),
      anchors: ANCHORS,
      target: TARGET,
      verdict: { mbps_ok: eMbps >= TARGET.mbps, cpu_ok: eCpu <= TARGET.cpu, exact: allExact, ahead_of_anchors: aheadOfAnchors, ahead_of_supervisord: aheadOfSupervisord },
      flood: { ...flood, unit: 'ms' },
      problems,
    }),
  );
}

await main().catch(async (err: unknown) => {
  console.log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await cleanupAll();
  process.exitCode = 1;
});
