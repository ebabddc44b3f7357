// What every scenario shares: the programs, one supervisor on a temp dir, its own processes, and the leftovers check.
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { killTrees } from '../lib/daemon.ts';
import { MarkerScanner, pssKb, readArgv, treeOf } from '../lib/proc.ts';
import type { ProcStat } from '../lib/proc.ts';
import { tempDir } from '../lib/util.ts';
import type { Peer, Program, Supervisor } from '../peers/types.ts';

/** Sizes and rounds of one run (quick or full). */
export interface Params {
  /** how many times every fleet runs (footprint and idle CPU: the worst of them counts) */
  repeat: number;
  rounds: number;
  fleetSizes: number[];
  /** the size at which idle CPU and status are measured */
  busySize: number;
  settleMs: number;
  cpuWindowMs: number;
  statusRounds: number;
  logBytes: number;
  logMaxBytes: number;
  logBackups: number;
}

/** What a scenario returns for one supervisor: figures, plus problems seen on the way. */
export interface Outcome {
  metrics: Record<string, unknown>;
  problems: string[];
}

/** One scenario's context. */
export interface Ctx {
  peer: Peer;
  params: Params;
  say: (line: string) => void;
}

/** The program with index i: its child is `sleep 1000000 0.TAGiiiii`. */
export function program(tag: string, i: number): Program {
  const idx = String(i).padStart(5, '0');
  return { name: `p${idx}`, marker: `${tag}${idx}`, argv: ['sleep', '1000000', `0.${tag}${idx}`] };
}

/** A fresh 6-digit tag, so a run's children cannot be confused with another run's. */
export function newTag(): string {
  return String(100000 + Math.floor(Math.random() * 899999));
}

function carriesTag(pid: number, tag: string): boolean {
  return (readArgv(pid) ?? []).some((a) => a.includes(tag));
}

/** The supervisor's own live processes: its roots' trees minus the programs' children (and their wrappers). */
export function ownProcesses(sup: Supervisor, tag: string): ProcStat[] {
  return treeOf(sup.roots()).filter((st) => !carriesTag(st.pid, tag));
}

const WRITER_COMMS = new Set(['sh', 'dash', 'bash', 'yes', 'head', 'cat', 'sleep']);

/** The supervisor's own processes while a writer runs: the tree minus the writer's shell, yes, head, cat. */
export function ownProcessesBesideWriter(sup: Supervisor, tag: string): ProcStat[] {
  return ownProcesses(sup, tag).filter((st) => !WRITER_COMMS.has(basename((readArgv(st.pid) ?? [''])[0] ?? '')));
}

/** Sum of PSS (kB) over processes. */
export function pssOf(procs: readonly ProcStat[]): number {
  return procs.reduce((s, p) => s + pssKb(p.pid), 0);
}

/**
 * Runs body with a fresh supervisor of the peer on a temp dir, then stops it (its own way), waits for every
 * process it had and every child of this tag to go, and kills and reports anything left.
 */
export async function withSupervisor(ctx: Ctx, label: string, body: (sup: Supervisor, scanner: MarkerScanner, tag: string, dir: string) => Promise<Outcome>): Promise<Outcome> {
  const tag = newTag();
  const dir = tempDir(`${ctx.peer.name}-${label}`);
  const sup = ctx.peer.create(dir);
  const scanner = new MarkerScanner(tag);
  let out: Outcome = { metrics: {}, problems: [] };
  let tracked: number[] = [];
  try {
    out = await body(sup, scanner, tag, dir);
  } catch (err) {
    out.problems.push(`failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    tracked = [...sup.roots(), ...treeOf(sup.roots()).map((s) => s.pid)];
    try {
      if (sup.roots().some((p) => treeOf([p]).length > 0)) await sup.stop();
    } catch (err) {
      out.problems.push(`stop: ${err instanceof Error ? err.message : String(err)}`);
    }
    const gone = await scanner.until(() => treeOf(tracked).length === 0 && scanner.children.size === 0, 20_000, 20);
    if (gone === null) {
      const left = [...new Set([...treeOf(tracked).map((s) => s.pid), ...scanner.children.values()])];
      out.problems.push(`left behind after stop, killed: ${left.map((p) => `${p} ${(readArgv(p) ?? []).join(' ').slice(0, 60)}`).join('; ')}`);
      await killTrees(left);
    }
    await sup.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
