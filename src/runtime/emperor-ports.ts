// Every effect the emperor reaches, as one object it is given: src/cli/real-ports.ts builds the real
// one, unit tests build fakes (test/unit/fakes/runtime-*.ts). The emperor builds none of them itself.
import type { Spawner } from '../io/spawner.ts';
import type { DaemonRecords } from '../io/daemon-records.ts';
import type { DirEntry, DirWatch } from '../io/vassal-dir.ts';
import type { GroupUsage } from '../io/sampler.ts';
import type { ProbeResult } from '../io/health-probe.ts';
import type { Desired } from '../core/reconcile.ts';
import type { OpenSocket } from './vassal-socket.ts';
import type { EventLog } from './event-log.ts';
import type { ProcessFacts, Random, Signals, TimePorts } from './ports.ts';
import type { Failed } from '../core/errors.ts';

/** Kills every recorded process group should the emperor die (a guardian process in production). */
export interface GuardianPort {
  start(): void;
  track(pgid: number): void;
  untrack(pgid: number): void;
  /** ends it on a clean shutdown. */
  close(): void;
}

/** CPU and memory of process groups (/proc in production). */
export interface SamplerPort {
  /** samples the given groups at monotonic `now`; groups not given are forgotten; `all`: idle ones sitting out too. */
  sample(pgids: readonly number[], now: number, all?: boolean): Map<number, GroupUsage>;
  close(): void;
}

/** The vassal directory: its listing, its trust, and a watch on it. */
export interface VassalDirectory {
  /** the directory, for messages. */
  readonly path: string;
  /** the candidate vassal files, sorted by name; throws when the directory cannot be read. */
  list(): DirEntry[];
  /** why the emperor must not read the directory now (a root emperor's trust rule), or null. */
  trustProblem(): string | null;
  /** calls `onChange` on any change in it; the emperor debounces and reconciles. */
  watch(onChange: () => void, onError: (err: Error) => void): DirWatch;
}

/** Reads listed vassal files into desired vassals (parsing, trust, versions by stamp). */
export interface VassalFiles {
  read(entries: DirEntry[]): Desired[];
}

/** One instance's uWSGI Emperor pipe (a socketpair): the child inherits `childFd` as fd 3. */
export interface EmperorPipe {
  /** the child's end, until the child holds it. */
  readonly childFd: number;
  /** closes the emperor's copy of the child's end once the child holds its own. */
  handedOver(): void;
  /** writes one protocol byte; false when the vassal's end is gone. */
  send(byte: number): boolean;
  /** closes both ends still held. */
  close(): void;
}

/** Where vassals say they are ready: the notify socket (one, routed by sender) and uWSGI Emperor pipes. */
export interface ReadinessPort {
  /** the NOTIFY_SOCKET path (bound on first use), or why there is none. */
  notifySocket(): string | Failed;
  /** messages from `pid`'s processes (its process group) go to `handler` until unwatch. */
  watch(pid: number, handler: (message: string) => void): void;
  unwatch(pid: number, handler: (message: string) => void): void;
  /**
   * whether uWSGI Emperor pipes can be made here (they need the native helper); without them `[uwsgi]`
   * vassals run as before the protocol: no UWSGI_EMPEROR_FD, RUNNING after start-secs.
   */
  readonly pipesAvailable: boolean;
  /** a new pipe whose bytes from the vassal go to `onByte`, or why there is none. */
  openPipe(onByte: (byte: number) => void): EmperorPipe | Failed;
  /** closes the notify socket (the emperor exits). */
  close(): void;
}

/** A source's health, as the stats, the status and the metrics show it. */
export interface SourceHealth {
  kind: 'dir' | 'etcd';
  address: string;
  healthy: boolean;
  /** why it is not healthy (or what it fell back on), or null. */
  detail: string | null;
}

/** Where desired vassals come from: a directory and etcd are two adapters of it. */
export interface VassalSource {
  /** the desired vassals now; null while it cannot be used (the running vassals are kept). */
  read(events: EventLog): Desired[] | null;
  /** calls `onChange` on any change in it; the emperor debounces and reconciles. */
  watch(onChange: () => void, onError: (err: Error) => void): DirWatch;
  health(): SourceHealth;
}

/** One spawn's cgroup: signal all of it, know when it is empty (and removed), why the kernel killed it. */
export interface SpawnCgroup {
  readonly dir: string;
  /** every process of the cgroup; SIGKILL is cgroup.kill. */
  signal(sig: string): void;
  /** true while a process (zombies aside) is in it; removes the cgroup once it is empty. */
  alive(): boolean;
  /** why the kernel's OOM killer ended it, or null. */
  oomKilled(): string | null;
  /** runs `during` (its leader's exit handled) with the cgroup, once empty, kept for a respawn of the same instance. */
  keepWhile?(during: () => void): void;
}

/** What a contained spawn's cgroup gets written (a spec's `memory-max`, `cpu-weight`, `pids-max`). */
export interface SpawnCgroupLimits {
  memoryMax: number | null;
  cpuWeight: number | null;
  pidsMax: number | null;
}

/** CPU and memory figures the cgroups' own counters replace (cpu.stat, memory.stat). */
export interface CgroupFigures {
  rssBytes: number;
  cpuPercent: number | null;
  cpuSecondsDelta: number;
}

/** cgroup v2 containment (src/io/cgroup-tree.ts in production): a cgroup per spawn, entered by the spawn plan's shim. */
export interface CgroupPort {
  /** makes one spawn's cgroup with its limits (a limit it cannot apply is a warning), or why it cannot. */
  make(name: string, index: number, daemon: boolean, limits: SpawnCgroupLimits): SpawnCgroup | { error: string };
  /** remembers that `pid` leads `cgroup` (sampling reads the cgroup's counters for it). */
  bind(pid: number, cgroup: SpawnCgroup): void;
  /** the daemon cgroup of this tree `pid` is in (an adopted daemon's too), or null. */
  daemonCgroup(pid: number): Pick<SpawnCgroup, 'dir' | 'signal' | 'alive'> | null;
  /** `usage` (keyed by the leading pid) with each contained group's figures read from its cgroup. */
  overlay<T extends CgroupFigures>(usage: Map<number, T>, now: number): Map<number, T>;
}

/** One health probe. */
export type Probe = (target: string, timeoutMs: number) => Promise<ProbeResult>;

/** The emperor's effects, given at construction. */
export interface EmperorPorts {
  time: TimePorts;
  random: Random;
  signals: Signals;
  /** runs `fn` on the next event-loop turn (setImmediate): start batches let sockets through. */
  nextTurn(fn: () => void): void;
  spawner: Spawner;
  guardian: GuardianPort;
  sampler: SamplerPort;
  records: DaemonRecords;
  probe: Probe;
  openSocket: OpenSocket;
  /** the vassal sources, in the order --vassals gave them (a name in two of them is an error on both). */
  sources: readonly VassalSource[];
  /** pidfiles and process identities, for smart-attached daemons. */
  facts: ProcessFacts;
  /** sd_notify and the uWSGI Emperor protocol; absent: no vassal may announce readiness. */
  readiness?: ReadinessPort;
  /** a cgroup per spawn (--cgroup); absent: process groups. */
  cgroups?: CgroupPort;
  /** the CPU counter of the cgroups that hold every vassal and daemon (with cgroups); absent: none. */
  subtreeCpu?: SubtreeCpuPort;
}

/** One counter for the whole fleet's CPU (src/io/subtree-cpu.ts): a sampling tick reads nothing while it stands. */
export interface SubtreeCpuPort {
  /** microseconds of CPU every process in the subtree used so far; null: cannot be read now. */
  usageUsec(): number | null;
  /** true when the process is in the subtree (its CPU counts in `usageUsec`). */
  holds(pid: number): boolean;
  close(): void;
}
