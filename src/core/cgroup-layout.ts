// Where an emperor's cgroups go: one subtree per emperor (keyed by its state directory), the emperor in a leaf
// of its own, plain vassals under `vassals/` (killed with a dead emperor) and daemons under `daemons/` (spared).
import { createHash } from 'node:crypto';

/** The subtree's layout below its directory. */
export const LEAF = 'supervisor';
export const VASSALS = 'vassals';
export const DAEMONS = 'daemons';

/** The subtree's name for an emperor: a hash of its state directory, so two emperors never share one. */
export function subtreeName(stateDir: string): string {
  return `emperor-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`;
}

/**
 * The cgroup the subtree goes under: the emperor's own, or, when the emperor already sits in its
 * subtree's leaf (it was moved there before and re-executed), the cgroup that subtree is under.
 */
export function subtreeParent(ownPath: string, name: string): string {
  const suffix = `/${name}/${LEAF}`;
  if (ownPath.endsWith(suffix)) return ownPath.slice(0, -suffix.length) || '/';
  return ownPath;
}

/** A name usable as a cgroup directory for anything: letters, digits, `_`, `-` kept, the rest as `%XX`. */
export function cgroupSafe(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
}

/**
 * The cgroup of one spawn of instance `index` of vassal `name`: `NAME@INDEX.SEQ`. The sequence
 * number keeps a replacement (a rolling restart with `socket` runs both at once) apart from the
 * instance it replaces. No interface file of cgroupfs contains `@`, so no name can collide with one.
 */
export function instanceCgroupName(name: string, index: number, seq: number): string {
  return `${cgroupSafe(name)}@${index}.${seq}`;
}

/** The vassal name and instance a cgroup name stands for, or null for anything else. */
export function parseInstanceCgroupName(dir: string): { name: string; index: number; seq: number } | null {
  const m = /^(.+)@(\d+)\.(\d+)$/.exec(dir);
  if (m === null) return null;
  try {
    return { name: decodeURIComponent(m[1] ?? ''), index: Number(m[2]), seq: Number(m[3]) };
  } catch {
    return null;
  }
}

/**
 * The exec shim that enters a cgroup: the shell writes its own pid (`$$`, which exec keeps) into the
 * cgroup's cgroup.procs, then becomes the command, so not one instruction of the command runs outside
 * it. It goes outermost (before setpriv and the LISTEN_PID shim): only the emperor's rights may move a process.
 */
export const CGROUP_SHIM = ['/bin/sh', '-c', 'echo $$ >"$1" || exit 125; shift; exec "$@"', 'sh'] as const;

/** `argv` behind the shim that enters the cgroup `dir`. */
export function shimArgv(dir: string, argv: readonly string[]): string[] {
  return [...CGROUP_SHIM, `${dir}/cgroup.procs`, ...argv];
}

/** What `--cgroup` asks for. */
export type CgroupChoice = { kind: 'auto' } | { kind: 'off' } | { kind: 'dir'; dir: string };

/** `--cgroup` as written: `off`, `auto` or an absolute directory; a clear error otherwise. */
export function parseCgroupOption(text: string | null): CgroupChoice | { error: string } {
  if (text === null || text === '' || text === 'auto') return { kind: 'auto' };
  if (text === 'off') return { kind: 'off' };
  if (!text.startsWith('/')) return { error: `--cgroup ${text}: expected \`off\`, \`auto\` or the absolute path of a cgroup v2 directory (e.g. /sys/fs/cgroup/emperor)` };
  return { kind: 'dir', dir: text.replace(/\/+$/, '') || '/' };
}

/** What was found about a `--cgroup DIR` or the emperor's own cgroup. */
export interface CgroupProbe {
  /** the directory exists. */
  exists: boolean;
  /** it is on a cgroup2 filesystem (has cgroup.procs and cgroup.events or is a cgroup2 mount's child). */
  cgroup2: boolean;
  /** the emperor may create cgroups in it. */
  writable: boolean;
  /** the emperor may move processes into it (cgroup.procs writable). */
  procsWritable: boolean;
}

/** Why a cgroup directory cannot hold the emperor's subtree, naming it and the fix; null when it can. */
export function cgroupProblem(dir: string, p: CgroupProbe, why: 'option' | 'own'): string | null {
  const what = why === 'option' ? `--cgroup ${dir}` : `the emperor's cgroup ${dir}`;
  if (!p.exists) return `${what}: no such directory (cgroup2 not mounted there; mount it or pass --cgroup off)`;
  if (!p.cgroup2) return `${what}: not a cgroup v2 directory (cgroup2 not mounted there: find it with \`findmnt -t cgroup2\`, or pass --cgroup off)`;
  if (!p.writable) return `${what}: no rights to create cgroups in it (run as root, or have it delegated: Delegate=yes in the unit)`;
  if (!p.procsWritable) return `${what}: not delegated (its cgroup.procs cannot be written; Delegate=yes in the unit, or pass --cgroup off)`;
  return null;
}

/** The limit files to write for a vassal, with the controller each needs. */
export interface CgroupLimits {
  memoryMax: number | null;
  cpuWeight: number | null;
  pidsMax: number | null;
}

/** One limit file's content, and the controller without which it is missing. */
export interface LimitWrite {
  file: string;
  value: string;
  controller: 'memory' | 'cpu' | 'pids';
  key: 'memory-max' | 'cpu-weight' | 'pids-max';
}

/** The files that carry a vassal's limits; empty without limits. */
export function limitWrites(l: CgroupLimits): LimitWrite[] {
  const out: LimitWrite[] = [];
  if (l.memoryMax !== null) out.push({ file: 'memory.max', value: String(l.memoryMax), controller: 'memory', key: 'memory-max' });
  if (l.cpuWeight !== null) out.push({ file: 'cpu.weight', value: String(l.cpuWeight), controller: 'cpu', key: 'cpu-weight' });
  if (l.pidsMax !== null) out.push({ file: 'pids.max', value: String(l.pidsMax), controller: 'pids', key: 'pids-max' });
  return out;
}

/** The controllers to enable for children: the wanted ones the parent offers. */
export function controllersToEnable(available: ReadonlySet<string>): string[] {
  return ['cpu', 'memory', 'pids'].filter((c) => available.has(c));
}

/** The error an instance killed by the OOM killer shows ("killed by the kernel OOM killer at memory-max 512M"). */
export function oomMessage(memoryMax: number | null): string {
  if (memoryMax === null) return 'killed by the kernel OOM killer';
  const mib = memoryMax / (1024 * 1024);
  const size = Number.isInteger(mib) ? `${mib}M` : `${memoryMax}`;
  return `killed by the kernel OOM killer at memory-max ${size}`;
}
