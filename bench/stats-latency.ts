// Measures stats-socket latency, `emperorctl status` wall time, and how long rendering the stats document blocks the emperor's event loop, with N idle `sleep` vassals.
import { cpus, loadavg } from 'node:os';
import { cleanupAll, cleanupOnInterrupt, onCleanup } from './lib/cleanup.ts';
import { distWarning } from './lib/emperor-tree.ts';
import { USAGE, SIZES, SEQ_READS, CTL_ROUNDS, BURSTS, BURST_SIZE, RENDER_READS, PINGED_READS, SETTLE_MS, ANCHORS, f2, f1 } from './diag/stats-latency/constants.ts';
import { TRACED, gcObserver } from './diag/stats-latency/gc.ts';
import { CLK_TCK } from './diag/stats-latency/cpu-and-commands.ts';
import { type FleetResult, CMDS } from './diag/stats-latency/fleet-result.ts';
import { fleet } from './diag/stats-latency/fleet.ts';
import { diagHeader } from './lib/header.ts';

function printFleet(r: FleetResult, floor: FleetResult | null): void {
  const s = r.stats_read_ms;
  console.log(`fleet of ${r.vassals} (all RUNNING after ${r.all_running_ms} ms, then ${SETTLE_MS / 1000} s idle); stats document ${r.doc_bytes} bytes (${f1(r.doc_bytes / 1024)} KiB)`);
  console.log(`  1. stats read, connect -> parsed (${SEQ_READS} sequential): median ${f2(s.median)} ms, p90 ${f2(s.p90)} ms, p99 ${f2(s.p99)} ms, max ${f2(s.max)} ms, min ${f2(s.min)} ms`);
  console.log(`     phases (medians): connected ${f2(r.stats_connect_ms.median)} ms, first byte ${f2(r.stats_first_byte_ms.median)} ms, EOF ${f2(r.stats_eof_ms.median)} ms, parsed ${f2(s.median)} ms; slowest read at +${r.slowest_read_at_s} s after the emperor started (it rescans every 30 s)`);
  console.log(
    `     the emperor during these ${SEQ_READS} reads: ${f1(r.emperor_cpu_part1.cpu_ms)} ms of CPU (/proc, all threads, ${1000 / CLK_TCK} ms ticks) = ${f2(r.emperor_cpu_part1.cpu_ms / SEQ_READS)} ms per read; ${r.emperor_cpu_part1.involuntary_switches} involuntary context switches`,
  );
  console.log(`     in the bench process, this document: JSON.parse ${f2(r.bench_parse_ms)} ms, JSON.stringify ${f2(r.bench_stringify_ms)} ms (medians of 20)`);
  if (r.vassals === 500)
    console.log(`     issue: target ${ANCHORS.target_ms_at_500} ms at 500 vassals; uWSGI Emperor stats socket ${ANCHORS.uwsgi_emperor_stats_ms} ms (issue's machine) — here median ${f2(s.median)} ms, p99 ${f2(s.p99)} ms`);
  else console.log(`     issue: target ${ANCHORS.target_ms_at_500} ms at 500 vassals; uWSGI Emperor stats socket ${ANCHORS.uwsgi_emperor_stats_ms} ms (issue's machine; this fleet is ${r.vassals})`);
  console.log(`  2. spawn -> exit, ${CTL_ROUNDS} rounds each, interleaved, after 1 warm-up round:`);
  for (const c of CMDS) {
    const m = r.ctl_ms[c.key];
    const o = r.ctl_stdout[c.key];
    if (m === undefined) continue;
    console.log(`     ${c.label.padEnd(38)} median ${f1(m.median).padStart(6)} ms, p90 ${f1(m.p90).padStart(6)} ms, min ${f1(m.min).padStart(6)} ms, max ${f1(m.max).padStart(6)} ms  (stdout ${o?.bytes ?? 0} bytes, ${o?.lines ?? 0} lines)`);
  }
  const st = r.ctl_ms['ctl_status'];
  const help = r.ctl_ms['ctl_help'];
  const bare = r.ctl_ms['node_e_0'];
  const js = r.ctl_ms['ctl_status_json'];
  if (st !== undefined && help !== undefined && bare !== undefined && js !== undefined)
    console.log(
      `     medians: status - --help ${f1(st.median - help.median)} ms (the request + rendering), --help - node -e 0 ${f1(help.median - bare.median)} ms (loading emperorctl), status --json - --help ${f1(js.median - help.median)} ms; mins: ${f1(st.min - help.min)}, ${f1(help.min - bare.min)}, ${f1(js.min - help.min)} ms (spawn noise here: node -e 0 p90 - median = ${f1(bare.p90 - bare.median)} ms)`,
    );
  console.log(`     issue (its machine): supervisorctl status ${ANCHORS.supervisorctl_status_ms} ms, pm2 jlist ${ANCHORS.pm2_jlist_ms} ms`);
  console.log(`  3. event-loop blocking, seen from outside; tiny request = one line on a kept-open control connection, answered \`bad-request\`:`);
  console.log(`     tiny request alone: median ${f2(r.idle_ping_ms.median)} ms, p99 ${f2(r.idle_ping_ms.p99)} ms, max ${f2(r.idle_ping_ms.max)} ms (n=${r.idle_ping_ms.n})`);
  console.log(
    `     ${BURSTS} bursts of ${BURST_SIZE} concurrent stats reads (connect -> EOF): median read ${f2(r.burst_read_ms.median)} ms, max ${f2(r.burst_read_ms.max)} ms; per burst: median of medians ${f2(r.burst_median_ms.median)} ms, median of maxima ${f2(r.burst_max_ms.median)} ms`,
  );
  console.log(
    `     tiny request in flight during a burst: slowest per burst median ${f2(r.burst_ping_max_ms.median)} ms, worst ${f2(r.burst_ping_max_ms.max)} ms (extra over idle median: ${f2(r.burst_ping_max_ms.median - r.idle_ping_ms.median)} ms for ${BURST_SIZE} renders)`,
  );
  console.log(
    `     one read at a time (${PINGED_READS} reads, 5 ms apart), tiny request alongside: read median ${f2(r.pinged_read_ms.median)} ms; tiny request median ${f2(r.pinged_ping_ms.median)} ms, p99 ${f2(r.pinged_ping_ms.p99)} ms, max ${f2(r.pinged_ping_max_ms)} ms (n=${r.pinged_ping_ms.n})`,
  );
  console.log(`     ${RENDER_READS} sequential reads to EOF (no parse): ${f1(r.render_reads_total_ms)} ms total, ${f2(r.render_reads_avg_ms)} ms each; first byte median ${f2(r.render_first_byte_ms.median)} ms`);
  console.log(
    `     the emperor during these ${RENDER_READS} reads: ${f1(r.emperor_cpu_render_reads.cpu_ms)} ms of CPU = ${f2(r.emperor_cpu_render_reads.cpu_ms / RENDER_READS)} ms per read; ${r.emperor_cpu_render_reads.involuntary_switches} involuntary context switches`,
  );
  if (floor !== null && floor !== r) {
    const perRead = r.render_reads_avg_ms - floor.render_reads_avg_ms;
    const perFirstByte = r.render_first_byte_ms.median - floor.render_first_byte_ms.median;
    const perBurst = (r.burst_max_ms.median - floor.burst_max_ms.median) / BURST_SIZE;
    console.log(
      `     per-render cost estimates (minus the ${floor.vassals}-vassal floor): avg read ${f2(perRead)} ms; median first byte ${f2(perFirstByte)} ms; burst max / ${BURST_SIZE}: ${f2(perBurst)} ms  => ~${f1((perFirstByte / (r.vassals - floor.vassals)) * 1000)} µs per vassal (first byte)`,
    );
  }
  console.log(`  fleet still ${r.still_running}/${r.vassals} RUNNING with ${r.restarts} restarts at the end; SIGTERM -> exit ${r.stop_ms} ms, exit code ${r.exit_code}; left behind: ${r.leftovers.length === 0 ? 'nothing' : r.leftovers.join('; ')}`);
  if (r.ping_answers.length > 0) console.log(`  tiny request's answer: ${r.ping_answers.join(' | ')}`);
  const gcLine = Object.entries(r.gc_during).map(([k, v]) => `${k} ×${v.n} (total ${f1(v.total_ms)} ms, longest ${f1(v.max_ms)} ms)`);
  console.log(`  GC while parts 1 and 3 ran: ${gcLine.length === 0 ? 'none' : gcLine.join('; ')}`);
  for (const st of r.stalls) console.log(`  stall: ${st.what}: ${f2(st.ms)} ms — overlapping: ${st.gcs}`);
  for (const p of r.problems) console.log(`  problem: ${p}`);
}

async function main(): Promise<void> {
  if (SIZES.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(USAGE);
  cleanupOnInterrupt();
  gcObserver.observe({ entryTypes: ['gc'] });
  onCleanup(async () => gcObserver.disconnect());
  const loadBefore = loadavg()[0] ?? NaN;
  const stale = distWarning();
  if (stale !== null) console.log(`warning: ${stale}`);
  console.log(`${diagHeader('stats-latency')}; fleets of ${[1, ...SIZES.filter((n) => n !== 1)].join(', ')} \`sleep 100000\` vassals, emperor ${TRACED.label}`);
  console.log(
    `issue's anchors (its machine, not measured here): answer within ${ANCHORS.target_ms_at_500} ms at 500 vassals; uWSGI Emperor stats socket ${ANCHORS.uwsgi_emperor_stats_ms} ms; supervisorctl status ${ANCHORS.supervisorctl_status_ms} ms; pm2 jlist ${ANCHORS.pm2_jlist_ms} ms`,
  );
  const results: FleetResult[] = [];
  const floor = await fleet(1);
  results.push(floor);
  printFleet(floor, null);
  for (const n of SIZES) {
    if (n === 1) continue;
    const r = await fleet(n);
    results.push(r);
    printFleet(r, floor);
  }
  await cleanupAll();
  const loadAfter = loadavg()[0] ?? NaN;
  console.log(`1-min load average: ${loadBefore.toFixed(2)} at start, ${loadAfter.toFixed(2)} at end (other work on the machine skews these numbers)`);
  console.log(
    JSON.stringify({
      bench: 'stats-latency',
      node: process.version,
      cpus: cpus().length,
      loadavg_1m: [loadBefore, loadAfter],
      sizes: results.map((r) => r.vassals),
      anchors_ms: ANCHORS,
      per_render_estimate_ms: Object.fromEntries(
        results
          .filter((r) => r !== floor)
          .map((r) => [
            r.vassals,
            {
              avg_read_minus_floor: Math.round((r.render_reads_avg_ms - floor.render_reads_avg_ms) * 1000) / 1000,
              first_byte_minus_floor: Math.round((r.render_first_byte_ms.median - floor.render_first_byte_ms.median) * 1000) / 1000,
              burst_max_minus_floor_per_read: Math.round(((r.burst_max_ms.median - floor.burst_max_ms.median) / BURST_SIZE) * 1000) / 1000,
            },
          ]),
      ),
      fleets: results,
      problems: results.flatMap((r) => r.problems.map((p) => `${r.vassals}: ${p}`)),
    }),
  );
}

try {
  await main();
} catch (err) {
  console.error(`stats-latency failed: ${err instanceof Error ? err.stack : String(err)}`);
  await cleanupAll();
  process.exitCode = 1;
}
