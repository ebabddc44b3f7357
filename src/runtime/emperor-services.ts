// What the emperor lends every vassal, built once from the ports it was given.
import type { VassalServices } from './vassal-services.ts';
import type { CgroupPort, EmperorPorts } from './emperor-ports.ts';
import type { EventLog } from './event-log.ts';
import type { Vassal } from './vassal.ts';
import type { InstanceRunner } from './instance-runner.ts';
import type { Current } from '../core/reconcile.ts';

/** The emperor's side of the services: its output, its logs, and what it knows of the fleet. */
export interface ServiceHooks {
  events: EventLog;
  logDir: string;
  env: Record<string, string | undefined>;
  uwsgi: string;
  /** --uwsgi-heartbeat-timeout; absent: the uWSGI Emperor's 30 s. */
  uwsgiHeartbeatMs?: number;
  stdout(text: string): void;
  stderr(text: string): void;
  missingDependencies(v: Vassal): string[];
  stateChanged(v: Vassal): void;
  /** another vassal by name (for `depends = NAME:completed` messages). */
  lookup(name: string): Vassal | undefined;
}

/** The services every vassal shares; each effect comes from a port. */
export function vassalServices(ports: EmperorPorts, hooks: ServiceHooks): VassalServices {
  const { signals } = ports;
  return {
    clock: ports.time.clock,
    timers: ports.time.timers,
    random: ports.random,
    signals,
    daemon: { time: ports.time, signals, facts: ports.facts },
    spawner: ports.spawner,
    guardian: ports.guardian,
    events: hooks.events,
    logDir: hooks.logDir,
    baseEnv: hooks.env,
    stdout: hooks.stdout,
    stderr: hooks.stderr,
    groupAlive: (g) => signals.groupAlive(g),
    killGroup: (g, s) => void signals.killGroup(g, s),
    missingDependencies: hooks.missingDependencies,
    stateChanged: hooks.stateChanged,
    probe: ports.probe,
    openSocket: ports.openSocket,
    records: ports.records,
    uwsgi: hooks.uwsgi,
    lookup: hooks.lookup,
    ...(ports.readiness === undefined ? {} : { readiness: ports.readiness }),
    ...(ports.cgroups === undefined ? {} : { cgroups: ports.cgroups }),
    ...(hooks.uwsgiHeartbeatMs === undefined ? {} : { uwsgiHeartbeatMs: hooks.uwsgiHeartbeatMs }),
  };
}

/**
 * Samples CPU and memory of every live instance's process group (a contained one's from its cgroup:
 * every process of it, a setsid or double-forked one too); enforces max-rss. `all`: every group is read,
 * the idle ones sitting out too. What the read found, for the quiet gate (src/runtime/fleet-sampling.ts):
 * whether a group used CPU or was read for the first time, whether one is not `held` (in the counted
 * subtree), whether every group was read.
 */
export function sampleFleet(vassals: Iterable<Vassal>, sampler: EmperorPorts['sampler'], now: number, cgroups?: CgroupPort, all = false, held?: (pgid: number) => boolean): FleetRead {
  const live: Array<[Vassal, InstanceRunner, number]> = [];
  for (const v of vassals) {
    for (const r of v.allRunners()) {
      const pgid = r.pgid;
      if (pgid !== null) live.push([v, r, pgid]);
      else r.usage = null;
    }
  }
  const sampled = sampler.sample(live.map(([, , g]) => g), now, all);
  const usage = cgroups === undefined ? sampled : cgroups.overlay(sampled, now);
  const found: FleetRead = { busy: false, uncovered: false, complete: true, groups: live.length };
  for (const [v, r, pgid] of live) {
    if (held !== undefined && !found.uncovered && !held(pgid)) found.uncovered = true;
    const u = usage.get(pgid);
    if (u === undefined) {
      found.complete = false;
      continue;
    }
    if (u.cpuSecondsDelta > 0 || u.cpuPercent === null) found.busy = true;
    r.usage = { rssBytes: u.rssBytes, cpuPercent: u.cpuPercent };
    v.cpuSeconds += u.cpuSecondsDelta;
    const limit = v.spec?.maxRss ?? null;
    if (limit !== null && u.rssBytes > limit) r.dispatch({ type: 'over-memory', rss: u.rssBytes, limit });
  }
  return found;
}

/** What one sampling read found (see sampleFleet). */
export interface FleetRead {
  busy: boolean;
  uncovered: boolean;
  complete: boolean;
  /** the live groups. */
  groups: number;
}

/** The running vassals as reconcile compares them with the directory. */
export function currentFleet(vassals: Iterable<Vassal>, removing: ReadonlySet<string>): Current[] {
  return [...vassals].map((v) => ({
    name: v.name,
    file: v.fileStatus.file,
    version: v.fileStatus.version,
    spec: v.spec,
    error: v.fileStatus.error,
    removing: removing.has(v.name),
  }));
}
