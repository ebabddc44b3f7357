// The runtime's effects as ports: everything that reads time, waits, draws chance or touches a process.
// Real adapters are built in src/cli/ (real-ports.ts); unit tests pass fakes (test/unit/fakes/runtime-*.ts).
import type { Clock } from './clock.ts';
import type { FsRights } from '../io/fs-rights.ts';
import type { PidfileReading, ProcessIdentity } from '../io/pidfile.ts';

/** A scheduled callback; `unref` lets the process exit while it is pending. */
export interface TimerHandle {
  unref?(): unknown;
}

/** Timers: one-shot and repeating callbacks (setTimeout/setInterval in production, a fake clock in tests). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
}

/** Uniform randomness in [0, 1) (backoff jitter). */
export type Random = () => number;

/** Signals to processes and groups, and whether they live. */
export interface Signals {
  /** signals a whole process group; false when none of it exists. */
  killGroup(pgid: number, signal: string): boolean;
  /** signals one process; false when it does not exist. */
  kill(pid: number, signal: string): boolean;
  /** whether a process group has a live (non-zombie) member. */
  groupAlive(pgid: number): boolean;
}

/** Time as a whole: the monotonic clock, timers and wall-clock milliseconds (display and pidfile age only). */
export interface TimePorts {
  clock: Clock;
  timers: Timers;
  /** Unix milliseconds (Date.now), for display and comparison with file times only. */
  wallMs(): number;
}

/** What a smart-attached daemon's watch reads of the system: pidfiles, process identities, the boot. */
export interface ProcessFacts {
  /** reads a pidfile with `rights` (a missing file, an empty one and garbage told apart). */
  readPidfile(path: string, rights: FsRights | null): PidfileReading;
  /** a live process's identity (start, uid, name); null when gone or a zombie. */
  identify(pid: number): ProcessIdentity | null;
  /** boot time in Unix milliseconds: a daemon record from another boot names nobody. */
  bootTimeMs(): number;
  /** writes `pid` into a pidfile with `rights` (smart-attach-daemon2); throws the system's error. */
  writePidfile(path: string, pid: number, rights: FsRights | null): void;
  /** calls `onEvent` for changes in `dir` (a pidfile replaced or removed); null when it cannot watch. */
  watchDir(dir: string, onEvent: (file: string | null) => void): { close(): void } | null;
  /** how many processes `uid` has against the process limit (RLIMIT_NPROC) vassals inherit; null: unlimited or unknown. */
  processLimit?(uid: number): { count: number; limit: number } | null;
}

/** Everything a daemon start reaches beyond its options: time, signals and the system's facts. */
export interface DaemonPorts {
  time: TimePorts;
  signals: Signals;
  facts: ProcessFacts;
}
