// Every port of the emperor, faked: build a whole Emperor with no process, no socket and no file.
import type { EmperorPorts, GuardianPort, SamplerPort } from '../../../src/runtime/emperor-ports.ts';
import type { DaemonRecord, DaemonRecords } from '../../../src/io/daemon-records.ts';
import type { GroupUsage } from '../../../src/io/sampler.ts';
import type { ProbeResult } from '../../../src/io/health-probe.ts';
import type { ProcessFacts } from '../../../src/runtime/ports.ts';
import type { ProcessIdentity, PidfileReading } from '../../../src/io/pidfile.ts';
import { Emperor, type EmperorOptions } from '../../../src/runtime/emperor.ts';
import { EventLog, type LiveEvent } from '../../../src/runtime/event-log.ts';
import { FakeTime, fixedRandom } from './runtime-time.ts';
import { FakeProcesses } from './runtime-processes.ts';
import { FakeVassalDir } from './runtime-dir.ts';
import { failed } from '../../../src/core/errors.ts';

/** A guardian that remembers the groups it was told of. */
export class FakeGuardian implements GuardianPort {
  readonly groups = new Set<number>();
  started = 0;
  closed = false;
  start(): void {
    this.started++;
  }
  track(pgid: number): void {
    this.groups.add(pgid);
  }
  untrack(pgid: number): void {
    this.groups.delete(pgid);
  }
  close(): void {
    this.closed = true;
  }
}

/** A sampler answering the usage set per group. */
export class FakeSampler implements SamplerPort {
  readonly usage = new Map<number, Partial<GroupUsage>>();
  readonly asked: number[][] = [];
  closed = false;
  sample(pgids: readonly number[]): Map<number, GroupUsage> {
    this.asked.push([...pgids]);
    const out = new Map<number, GroupUsage>();
    for (const g of pgids) {
      const u = this.usage.get(g);
      if (u !== undefined) out.set(g, { rssBytes: 0, cpuPercent: null, cpuSecondsDelta: 0, members: 1, ...u });
    }
    return out;
  }
  close(): void {
    this.closed = true;
  }
}

/** Daemon records in a map. */
export class FakeRecords implements DaemonRecords {
  readonly map = new Map<string, DaemonRecord>();
  get(name: string): DaemonRecord | null {
    return this.map.get(name) ?? null;
  }
  set(name: string, record: DaemonRecord): string | null {
    this.map.set(name, record);
    return null;
  }
  delete(name: string): void {
    this.map.delete(name);
  }
}

/** Pidfiles and process identities held in maps: what /proc and the file system would say. */
export class FakeFacts implements ProcessFacts {
  readonly pidfiles = new Map<string, { pid: number; mtimeMs: number } | string>();
  readonly processes = new Map<number, ProcessIdentity>();
  readonly written: Array<{ path: string; pid: number }> = [];
  readonly watched: string[] = [];
  bootMs = 1_699_000_000_000;
  /** set to make writePidfile throw this code. */
  writeError: string | null = null;

  readPidfile(path: string): PidfileReading {
    const p = this.pidfiles.get(path);
    if (p === undefined) return { ok: false, missing: true, message: `pidfile ${path} does not exist`, code: 'E_PIDFILE_UNREADABLE' };
    if (typeof p === 'string') return { ok: false, missing: false, message: `pidfile ${path} does not hold a pid: ${JSON.stringify(p)}`, code: 'E_PIDFILE_UNREADABLE' };
    return { ok: true, pid: p.pid, mtimeMs: p.mtimeMs };
  }
  identify(pid: number): ProcessIdentity | null {
    return this.processes.get(pid) ?? null;
  }
  bootTimeMs(): number {
    return this.bootMs;
  }
  writePidfile(path: string, pid: number): void {
    if (this.writeError !== null) throw Object.assign(new Error(this.writeError), { code: this.writeError });
    this.written.push({ path, pid });
    this.pidfiles.set(path, { pid, mtimeMs: 0 });
  }
  watchDir(dir: string): { close(): void } {
    this.watched.push(dir);
    return { close: () => {} };
  }
}

/** All the fakes of one emperor, to drive and to inspect. */
export interface FakeWorld {
  time: FakeTime;
  procs: FakeProcesses;
  dir: FakeVassalDir;
  guardian: FakeGuardian;
  sampler: FakeSampler;
  records: FakeRecords;
  facts: FakeFacts;
  /** answers of the health probe, by target; unknown targets fail. */
  health: Map<string, ProbeResult>;
  probes: string[];
  ports: EmperorPorts;
  events: LiveEvent[];
  lines: string[];
}

/** A fresh world of fakes. */
export function fakeWorld(random = 0.5): FakeWorld {
  const time = new FakeTime();
  const procs = new FakeProcesses(time);
  const dir = new FakeVassalDir();
  const guardian = new FakeGuardian();
  const sampler = new FakeSampler();
  const records = new FakeRecords();
  const facts = new FakeFacts();
  const health = new Map<string, ProbeResult>();
  const probes: string[] = [];
  const ports: EmperorPorts = {
    time,
    random: fixedRandom(random),
    signals: procs,
    nextTurn: time.nextTurn,
    spawner: procs,
    guardian,
    sampler,
    records,
    probe: (target) => {
      probes.push(target);
      return Promise.resolve(health.get(target) ?? { ok: false, message: `${target}: ECONNREFUSED` });
    },
    openSocket: () => failed('E_BIND_FAILED', 'no sockets in unit tests'),
    dir,
    files: dir,
    facts,
  };
  return { time, procs, dir, guardian, sampler, records, facts, health, probes, ports, events: [], lines: [] };
}

/** A whole emperor over a world of fakes (started: first reconcile done, watch registered). */
export function fakeEmperor(world: FakeWorld = fakeWorld(), overrides: Partial<EmperorOptions> = {}): Emperor {
  const events = new EventLog('text', (line) => void world.lines.push(line));
  events.subscribe((ev) => void world.events.push(ev));
  const emperor = new Emperor({
    logDir: '/fake/log',
    uwsgi: 'uwsgi',
    rescanIntervalMs: 60_000,
    sampleIntervalMs: 0,
    env: { PATH: '/usr/bin:/bin' },
    events,
    stdout: () => {},
    stderr: () => {},
    ports: world.ports,
    ...overrides,
  });
  return emperor;
}

/** A native vassal file running `/bin/app NAME` with extra keys. */
export function vassalFile(name: string, extra: Record<string, string | number> = {}): string {
  const keys = Object.entries(extra).map(([k, v]) => `${k} = ${v}`);
  return ['[vassal]', `command = /bin/app ${name}`, ...keys, ''].join('\n');
}
