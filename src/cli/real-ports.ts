// The real adapters behind every port of the runtime: built here, and only here (STYLE: adapters in cli/).
import { budgetedSpawner } from '../io/fd-budget.ts';
import { processLimitOf } from '../io/process-limit.ts';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EmperorPorts, Probe, SubtreeCpuPort, VassalFiles, VassalSource } from '../runtime/emperor-ports.ts';
import { DirectoryReader } from '../runtime/directory-reader.ts';
import type { Signals, TimePorts, Timers, ProcessFacts } from '../runtime/ports.ts';
import type { Clock } from '../runtime/clock.ts';
import { defaultSpawner } from '../io/native-spawn.ts';
import { Guardian } from '../io/guardian.ts';
import { Sampler } from '../io/sampler.ts';
import { FileDaemonRecords } from '../io/daemon-records.ts';
import { groupAlive, killGroup, killProcess } from '../io/process-group.ts';
import { sharedLister, watchVassalDir } from '../io/vassal-dir.ts';
import { bootTimeMs, identify, readPidfile } from '../io/pidfile.ts';
import { watchDirEvents, writePidfile } from '../io/pidfile-write.ts';
import { openListenSocket, type ListenSocket } from '../io/listen-socket.ts';
import { withRights, type FsRights } from '../io/fs-rights.ts';
import type { SocketAddress } from '../config/socket-address.ts';
import type { Failed } from '../core/errors.ts';
import { VassalFileReader } from '../runtime/vassal-file-reader.ts';
import { directoryTrustProblem } from '../runtime/directory-trust.ts';
import { notifyUnavailable, realReadiness } from './real-readiness.ts';
import type { CgroupTree } from '../io/cgroup-tree.ts';
import { SubtreeCpu } from '../io/subtree-cpu.ts';

// performance.timeOrigin is a getter into Node's C++ side: read once (a stats request converts some 3,000 times).
const timeOrigin = performance.timeOrigin;

/** The real clock: performance.now, anchored to the wall clock once at start. */
export const systemClock: Clock = {
  now: () => performance.now(),
  unixSeconds: (m) => (timeOrigin + m) / 1000,
};

/** Node's timers. */
export const nodeTimers: Timers = {
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout((h ?? undefined) as NodeJS.Timeout | undefined),
  setInterval: (f, ms) => setInterval(f, ms),
  clearInterval: (h) => clearInterval((h ?? undefined) as NodeJS.Timeout | undefined),
};

/** The real time ports. */
export const systemTime: TimePorts = { clock: systemClock, timers: nodeTimers, wallMs: () => Date.now() };

/** Signals through process.kill (a group: its negative id). */
export const processSignals: Signals = {
  killGroup: (g, s) => killGroup(g, s as NodeJS.Signals),
  kill: (p, s) => killProcess(p, s as NodeJS.Signals),
  groupAlive,
};

/** Pidfiles and identities from /proc. */
export const procFacts: ProcessFacts = {
  readPidfile,
  identify: (pid) => identify(pid),
  bootTimeMs,
  writePidfile,
  watchDir: watchDirEvents,
  processLimit: processLimitOf,
};

/** What the real emperor's ports depend on. */
export interface RealPortsOptions {
  vassalsDir: string;
  stateDir: string;
  env: Record<string, string | undefined>;
  /** the emperor runs as root: it trusts only root's files (SPEC section 10). */
  root: boolean;
  /** --tyrant: each vassal runs as its file's owner. */
  tyrant: boolean;
  warn(message: string): void;
  /** the sources when --vassals names more than the one directory (src/cli/vassal-sources.ts). */
  sources?: readonly VassalSource[];
  /** the cgroup v2 subtree a cgroup per spawn goes in (emperor-cgroups.ts); null: process groups. */
  cgroups?: CgroupTree | null;
}

/** A vassal directory as a source, its files read by `files`. */
export function directorySource(dir: string, files: VassalFiles, o: Pick<RealPortsOptions, 'root' | 'tyrant'>): VassalSource {
  const lister = sharedLister(dir);
  return new DirectoryReader({
    path: dir,
    list: () => lister.list(),
    trustProblem: () => (o.root ? directoryTrustProblem(dir, o.tyrant) : null),
    watch: (onChange, onError) => watchVassalDir(dir, onChange, onError),
  }, files);
}

/** Every port of the emperor, real. */
export function realEmperorPorts(o: RealPortsOptions): EmperorPorts {
  const files = new VassalFileReader(o.env, o.warn, { root: o.root, tyrant: o.tyrant }, notifyUnavailable());
  return {
    time: systemTime,
    random: Math.random,
    signals: processSignals,
    nextTurn: (fn) => void setImmediate(fn),
    spawner: budgetedSpawner(defaultSpawner(o.env)),
    guardian: new Guardian(o.warn),
    sampler: new Sampler(),
    records: new FileDaemonRecords(join(o.stateDir, 'daemons')),
    probe: lazyProbe,
    openSocket: openSocketAs,
    sources: o.sources ?? [directorySource(o.vassalsDir, files, o)],
    facts: procFacts,
    readiness: realReadiness(join(o.stateDir, 'notify.sock')),
    ...(o.cgroups == null ? {} : { cgroups: o.cgroups, subtreeCpu: subtreeCpuOf(o.cgroups) }),
  };
}

/** The fleet's one CPU counter: vassals/ and daemons/ of the tree; a pid is held when its cgroup is one of the tree's. */
export function subtreeCpuOf(tree: CgroupTree): SubtreeCpuPort {
  const cpu = new SubtreeCpu([tree.vassalsDir, tree.daemonsDir]);
  return {
    usageUsec: () => cpu.usageUsec(),
    holds: (pid) => tree.cgroupOf(pid) !== null || tree.daemonCgroupOf(pid) !== null,
    close: () => cpu.close(),
  };
}

// A vassal's socket, with its rights for the path a Unix socket takes (made, replaced, removed):
// a vassal never gets the emperor to create or remove a file it could not itself. Binding a port
// below 1024 keeps the emperor's capability (root's files may grant it; --tyrant files cannot).
function openSocketAs(a: SocketAddress, rights: FsRights | null): ListenSocket | Failed {
  const s = withRights(rights, () => openListenSocket(a));
  if ('error' in s || rights === null) return s;
  const close = s.close;
  return { ...s, close: () => withRights(rights, close) };
}

// Health probes load node:http (and the probe) at the first one: most emperors never probe.
const lazyProbe: Probe = async (target, timeoutMs) => (await import('../io/health-probe.ts')).probe(target, timeoutMs);
