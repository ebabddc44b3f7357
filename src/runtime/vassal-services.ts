// What every vassal borrows from the emperor: clock, spawner, guardian, output, and the fleet's view.
import type { Clock } from './clock.ts';
import type { Spawner } from '../io/spawner.ts';
import type { EventLog } from './event-log.ts';
import type { Vassal } from './vassal.ts';
import type { ProbeResult } from '../io/health-probe.ts';
import type { DaemonRecords } from '../io/daemon-records.ts';
import type { OpenSocket } from './vassal-socket.ts';
import type { DaemonPorts, Random, Signals, Timers } from './ports.ts';
import type { CgroupPort, ReadinessPort } from './emperor-ports.ts';

/** Shared services, built once by the emperor and handed to each vassal. */
export interface VassalServices {
  clock: Clock;
  /** timers (roll deadlines, backoff, polls): never the global setTimeout in the runtime. */
  timers: Timers;
  /** backoff jitter. */
  random: Random;
  /** signals to processes and groups. */
  signals: Signals;
  /** what a smart-attached daemon's start reaches: time, signals, pidfiles and process identities. */
  daemon: DaemonPorts;
  spawner: Spawner;
  guardian: { track(pgid: number): void; untrack(pgid: number): void };
  events: EventLog;
  /** base for relative log paths. */
  logDir: string;
  /** the emperor's environment, which vassals inherit. */
  baseEnv: Record<string, string | undefined>;
  /** where vassal lines without a log file go, already prefixed. */
  stdout(text: string): void;
  stderr(text: string): void;
  groupAlive(pgid: number): boolean;
  killGroup(pgid: number, signal: string): void;
  /** names of the vassal's dependencies that are missing or not RUNNING. */
  missingDependencies(v: Vassal): string[];
  /** called after any instance of the vassal changed. */
  stateChanged(v: Vassal): void;
  /** what the emperor remembers of each daemon, for the next emperor. */
  records: DaemonRecords;
  /** the uWSGI binary for `[uwsgi]` app files (--uwsgi). */
  uwsgi: string;
  /** one health probe (injected so tests can fake it). */
  probe(target: string, timeoutMs: number): Promise<ProbeResult>;
  /** binds and listens on a vassal's `socket` (injected so tests can fake it). */
  openSocket: OpenSocket;
  /** the vassals' NOTIFY_SOCKET and uWSGI Emperor pipes; absent: no vassal may announce readiness. */
  readiness?: ReadinessPort;
  /** another vassal by name (for `depends = NAME:completed` messages). */
  lookup?(name: string): Vassal | undefined;
  /** --uwsgi-heartbeat-timeout: absent, the uWSGI Emperor's 30 s. */
  uwsgiHeartbeatMs?: number;
  /** a cgroup per spawn (--cgroup); absent: process groups. */
  cgroups?: CgroupPort;
}
