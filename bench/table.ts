// Renders the README's performance table from a results file: one row per figure of issue 14,
// emperor | best peer | others | emperor ÷ best peer.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/** One JSON line of bench/out/*.jsonl. */
export interface ResultLine {
  run: string;
  mode: string;
  scenario: string;
  supervisor: string;
  versions: Record<string, string>;
  machine: { cpu: string; cores: number; kernel: string };
  load: { start: number; end: number };
  params: { busySize: number; cpuWindowMs: number; settleMs: number; logBytes: number; repeat?: number };
  metrics: Record<string, unknown>;
  problems: string[];
  skipped?: string;
}

/** Reads a JSON-lines results file. */
export function readResults(file: string): ResultLine[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ResultLine);
}

type Get = (r: ResultLine[], sup: string) => number | null;

function pick(rs: ResultLine[], sup: string, scenario: string, n?: number): ResultLine | undefined {
  return rs.filter((r) => r.supervisor === sup && r.scenario === scenario && r.skipped === undefined && (n === undefined || r.metrics.n === n)).at(-1);
}

/** Every run of one fleet size, by run number (a file from before --repeat has one, run 1). */
function runsOf(rs: ResultLine[], sup: string, n: number): Map<number, ResultLine> {
  const out = new Map<number, ResultLine>();
  for (const r of rs) if (r.supervisor === sup && r.scenario === 'fleet' && r.skipped === undefined && r.metrics.n === n) out.set(num(r.metrics.repeat) ?? 1, r);
  return out;
}

/** The worst (largest) of a figure over the runs of a fleet size. */
function worst(rs: ResultLine[], sup: string, n: number, key: string): number | null {
  const xs = [...runsOf(rs, sup, n).values()].map((r) => sub(r, key)).filter((x): x is number => x !== null);
  return xs.length === 0 ? null : Math.max(...xs);
}

/** The median of a figure over the runs of a fleet size (start-all, shutdown: times, not the footprint targets). */
function medianOf(rs: ResultLine[], sup: string, n: number, key: string): number | null {
  const xs = [...runsOf(rs, sup, n).values()].map((r) => sub(r, key)).filter((x): x is number => x !== null).sort((a, b) => a - b);
  return xs.length === 0 ? null : ((xs[(xs.length - 1) >> 1] ?? 0) + (xs[xs.length >> 1] ?? 0)) / 2;
}

/** A figure of the fleet run that measured it (status: the first run only). */
function firstWith(rs: ResultLine[], sup: string, n: number, key: string, field: string): number | null {
  for (const r of [...runsOf(rs, sup, n)].sort(([a], [b]) => a - b).map(([, l]) => l)) if (r.metrics[key] !== undefined) return sub(r, key, field);
  return null;
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function sub(r: ResultLine | undefined, key: string, field?: string): number | null {
  const v = r?.metrics[key];
  if (field === undefined) return num(v);
  return typeof v === 'object' && v !== null ? num((v as Record<string, unknown>)[field]) : null;
}

interface Row {
  label: string;
  get: Get;
  higherBetter?: boolean;
  digits: number;
  note?: (rs: ResultLine[], sup: string) => string;
}

function logNote(writer: string): (rs: ResultLine[], sup: string) => string {
  return (rs, sup) => {
    const r = pick(rs, sup, `logs-${writer}`);
    if (r === undefined) return '';
    const bad = [r.metrics.linesExact === false ? 'lines not exact' : '', typeof r.metrics.rotation === 'string' && r.metrics.rotation !== 'exact' ? String(r.metrics.rotation).split(':')[0] ?? '' : ''].filter(Boolean);
    return bad.length > 0 ? ` (${bad.join('; ')})` : '';
  };
}

function rows(rs: ResultLine[]): Row[] {
  const p = rs[0]?.params;
  const b = p?.busySize ?? 500;
  const sizes = [...new Set(rs.filter((r) => r.scenario === 'fleet').map((r) => num(r.metrics.n)).filter((n): n is number => n !== null))].sort((x, y) => x - y);
  const small = sizes[0] ?? 10;
  const mb = Math.round((p?.logBytes ?? 0) / 1e6);
  const out: Row[] = [
    { label: 'pickup (file in, plus the command a peer needs) to child running, median ms', get: (r, s) => sub(pick(r, s, 'pickup'), 'pickupMs', 'median'), digits: 1 },
    { label: 'respawn after SIGKILL, median ms', get: (r, s) => sub(pick(r, s, 'respawn'), 'respawnMs', 'median'), digits: 1 },
    { label: 'respawn after SIGKILL, p90 ms', get: (r, s) => sub(pick(r, s, 'respawn'), 'respawnMs', 'p90'), digits: 1 },
  ];
  const reps = Math.max(1, ...rs.filter((r) => r.scenario === 'fleet').map((r) => num(r.metrics.repeat) ?? 1));
  const worstOf = reps > 1 ? `worst of ${reps} runs` : '1 run';
  const medOf = reps > 1 ? `, median of ${reps} runs` : '';
  // a supervisor with fewer runs than the others (--repeat-peers) says so beside its figure
  const fewer = (n: number) => (r: ResultLine[], s: string): string => {
    const k = runsOf(r, s, n).size;
    return k > 0 && k < reps ? ` (${k} run${k === 1 ? '' : 's'})` : '';
  };
  const after = `${Math.round((p?.settleMs ?? 0) / 1000)} s after all ran`;
  const cpuBy = rs.some((r) => r.metrics.idleCpuSchedPct !== undefined) ? 'schedstat, ns' : '10 ms ticks';
  for (const n of sizes.filter((x) => x !== small)) out.push({ label: `start-all of ${n} (all children exist), s${medOf}`, get: (r, s) => sc(medianOf(r, s, n, 'startAllMs'), 1000), digits: 2 });
  for (const n of sizes.filter((x) => x !== small)) out.push({ label: `idle footprint at ${n}, PSS of its own processes, MB (${worstOf}, each ${after})`, get: (r, s) => sc(worst(r, s, n, 'pssKb'), 1024), digits: 1, note: fewer(n) });
  for (const n of sizes.filter((x) => x !== small)) out.push({ label: `idle footprint at ${n}, private memory (Private_Clean + Private_Dirty), MB (${worstOf})`, get: (r, s) => sc(worst(r, s, n, 'privateKb'), 1024), digits: 1, note: fewer(n) });
  if (sizes.includes(b) && b !== small) {
    out.push({ label: `per-program cost, (PSS at ${b} - PSS at ${small}) / ${b - small}, KB (${reps > 1 ? `worst of ${reps} runs, each size pair from one run` : '1 run'})`, get: (r, s) => perProgram(r, s, small, b, 'pssKb'), digits: 1, note: fewer(b) });
    out.push({ label: `per-program cost in private memory, KB (${reps > 1 ? `worst of ${reps} runs` : '1 run'})`, get: (r, s) => perProgram(r, s, small, b, 'privateKb'), digits: 1, note: fewer(b) });
    out.push({ label: `idle CPU at ${b}, % of one core over ${Math.round((p?.cpuWindowMs ?? 0) / 1000)} s (${worstOf}; ${cpuBy})`, get: (r, s) => worst(r, s, b, 'idleCpuPct'), digits: 3, note: fewer(b) });
    const node = rs.find((r) => r.scenario === 'baseline')?.metrics.nodeE0Ms;
    for (const n of sizes.filter((x) => x >= b)) {
      out.push({ label: `status of ${n}, socket, median ms`, get: (r, s) => firstWith(r, s, n, 'statusSocketMs', 'median'), digits: 1 });
      out.push({ label: `status of ${n}, CLI, median ms${typeof node === 'number' ? ` (node -e 0: ${fmt(node, 0)} ms)` : ''}`, get: (r, s) => firstWith(r, s, n, 'statusCliMs', 'median'), digits: 1 });
      out.push({ label: `status of ${n}, CLI ÷ \`node -e 0\` timed just before each read, median`, get: (r, s) => firstWith(r, s, n, 'statusCliOverNodeE0', 'median'), digits: 2 });
    }
    out.push({ label: `shutdown of ${b} (all gone), s${medOf}`, get: (r, s) => sc(medianOf(r, s, b, 'shutdownMs'), 1000), digits: 2 });
  }
  for (const [w, what] of [['8k', `${mb} MB of 100-byte lines in 8 KiB writes (yes, head -c)`], ['128k', `the same in 128 KiB writes (cat)`]] as const) {
    out.push({ label: `${what} into a rotating log, MB/s`, get: (r, s) => sub(pick(r, s, `logs-${w}`), 'mbPerS'), higherBetter: true, digits: 0, note: logNote(w) });
    out.push({ label: `${what}: supervisor CPU s`, get: (r, s) => sub(pick(r, s, `logs-${w}`), 'cpuS'), digits: 2 });
  }
  return out;
}

function sc(x: number | null, by: number): number | null {
  return x === null ? null : x / by;
}

/**
 * The per-program cost of the worst run: run r's (figure at big - figure at small) / (big - small), the largest r.
 * The two sizes of one run are measured a minute apart, so what else shares the machine (and its pages) moved
 * little between them; pairing the largest big with the smallest small of different runs would add that drift.
 */
function perProgram(rs: ResultLine[], sup: string, small: number, big: number, key: string): number | null {
  const smalls = runsOf(rs, sup, small);
  let out: number | null = null;
  for (const [rep, line] of runsOf(rs, sup, big)) {
    const a = sub(smalls.get(rep), key);
    const z = sub(line, key);
    if (a !== null && z !== null) out = Math.max(out ?? -Infinity, (z - a) / (big - small));
  }
  return out;
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The markdown table (plus a line naming the run, machine and versions). */
export function renderTable(rs: ResultLine[]): string {
  const first = rs[0];
  if (first === undefined) return '(no results)';
  const peers = [...new Set(rs.filter((r) => r.scenario !== 'baseline').map((r) => r.supervisor))].filter((s) => s !== 'emperor');
  const lines = ['| figure | emperor | best peer | others | emperor ÷ best peer |', '| --- | --- | --- | --- | --- |'];
  for (const row of rows(rs)) {
    const e = row.get(rs, 'emperor');
    const vals = peers.map((s) => ({ s, v: row.get(rs, s) })).filter((x): x is { s: string; v: number } => x.v !== null);
    if (e === null && vals.length === 0) continue;
    vals.sort((x, y) => (row.higherBetter === true ? y.v - x.v : x.v - y.v));
    const best = vals[0];
    const note = (s: string): string => row.note?.(rs, s) ?? '';
    const others = vals.slice(1).map((x) => `${x.s} ${fmt(x.v, row.digits)}${note(x.s)}`).join(', ');
    // A ratio to zero or to a negative figure (a PSS that fell between sizes: shared pages moved) means nothing.
    const ratio = e !== null && best !== undefined && best.v > 0 ? `${fmt(e / best.v, 2)}` : '-';
    lines.push(`| ${row.label.replace(/\|/g, '\\|')} | ${e === null ? '-' : fmt(e, row.digits) + note('emperor')} | ${best === undefined ? '-' : `${best.s} ${fmt(best.v, row.digits)}${note(best.s)}`} | ${others || '-'} | ${ratio} |`);
  }
  const loads = rs.flatMap((r) => [r.load.start, r.load.end]);
  const skipped = [...new Set(rs.filter((r) => r.skipped !== undefined).map((r) => `${r.supervisor} (${r.skipped})`))];
  lines.push('');
  lines.push(
    `Run ${[...new Set(rs.map((r) => r.run))].join(' + ')} (${first.mode}) on ${first.machine.cpu}, ${first.machine.cores} cores, Linux ${first.machine.kernel}; 1-minute load ${Math.min(...loads)} to ${Math.max(...loads)}. ` +
      `Versions: ${Object.entries(first.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.` +
      (skipped.length > 0 ? ` Skipped: ${skipped.join(', ')}.` : '') +
      ' Ratio: emperor ÷ best peer (below 1 is better, except MB/s, where above 1 is better).',
  );
  return lines.join('\n');
}

const START = '<!-- bench-table:start -->';
const END = '<!-- bench-table:end -->';

/** Replaces the README's table between its markers with one rendered from the results. */
export function writeReadmeTable(readme: string, rs: ResultLine[], source: string): void {
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(START);
  const z = text.indexOf(END);
  if (a < 0 || z < a) throw new Error(`${readme}: no ${START} ... ${END} markers around the performance table`);
  const body = `${START}\n<!-- generated by: node --import tsx bench/render-table.ts ${basename(source)} --write-readme -->\n${renderTable(rs)}\n${END}`;
  writeFileSync(readme, text.slice(0, a) + body + text.slice(z + END.length));
}
