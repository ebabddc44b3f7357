// The bench suite's one report header: the machine (cpu, cores, kernel, load) and the supervisors' versions.
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { loadAverage } from './proc.ts';

/** What every result line says about the machine it was measured on. */
export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  memMb: number;
  node: string;
}

/** The machine, read once per run. */
export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'latin1'))?.[1] ?? cpu;
  } catch {
    // keep os.cpus()'s model
  }
  return { cpu, cores: cpus().length, kernel: release(), memMb: Math.round(totalmem() / 2 ** 20), node: process.version };
}

/** The header printed before a run and kept in the run's first line. */
export function headerLines(m: Machine, versions: Record<string, string>, mode: string): string[] {
  return [
    `emperor bench (${mode}) on ${m.cpu}, ${m.cores} cores, ${m.memMb} MB, Linux ${m.kernel}, Node ${m.node}; load ${loadAverage()}`,
    `versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
}

/** The first line of a diagnostic (bench/NAME.ts): the same machine header as the suite's. */
export function diagHeader(name: string): string {
  const m = machine();
  return `${name} (emperor bench diagnostic) on ${m.cpu}, ${m.cores} cores, ${m.memMb} MB, Linux ${m.kernel}, Node ${m.node}; load ${loadAverage()}`;
}
