// Fakes behind every port a Vassal uses: a clock and timers advanced by hand, a spawner whose
// processes a test exits by hand, recorded group signals, a fake socket binder and probe.
import { EventLog, type LiveEvent } from '../../../src/runtime/event-log.ts';
import { FakeFacts, FakeRecords } from './runtime-ports.ts';
import type { VassalServices } from '../../../src/runtime/vassal-services.ts';
import type { Vassal } from '../../../src/runtime/vassal.ts';
import type { SpawnRequest, SpawnedProcess, SpawnFailed, Spawner } from '../../../src/io/spawner.ts';
import { failed } from '../../../src/core/errors.ts';
import type { TimerHandle, Timers } from '../../../src/runtime/ports.ts';
import type { ProbeResult } from '../../../src/io/health-probe.ts';
import { formatSocketAddress } from '../../../src/config/socket-address.ts';

/** Pids above any pid_max: a signal that reaches the real kill() finds no process. */
export const FIRST_PID = 5_000_000;

/** Timers that fire only when a test advances the clock. */
export class FakeTimers implements Timers {
  now = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void; every: number | null }>();

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, ms);
  }

  clearTimeout(handle: TimerHandle | null | undefined): void {
    if (handle != null) this.pending.delete((handle as { id: number }).id);
  }

  clearInterval(handle: TimerHandle | null | undefined): void {
    this.clearTimeout(handle);
  }

  /** How many timers wait. */
  get count(): number {
    return this.pending.size;
  }

  /** Moves the clock on by `ms`, firing every timer due, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      const [id, t] = due;
      this.now = t.at;
      if (t.every === null) this.pending.delete(id);
      else t.at += t.every;
      t.fn();
    }
    this.now = end;
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle & { id: number } {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now + ms, fn, every });
    return { id, unref: () => undefined };
  }
}

/** A process the fake spawner started: it runs until the test exits it. */
export class FakeProcess implements SpawnedProcess {
  readonly stdout = null;
  readonly stderr = null;
  exited = false;
  private readonly listeners: Array<(code: number | null, signal: string | null) => void> = [];

  constructor(readonly pid: number, readonly request: SpawnRequest) {}

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.listeners.push(listener);
  }

  /** The process (and its group) ends. */
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return;
    this.exited = true;
    for (const l of this.listeners) l(code, signal);
  }

  /** Which instance it is (EMPEROR_INSTANCE). */
  get instance(): number {
    return Number(this.request.env.EMPEROR_INSTANCE);
  }
}

/** Starts fake processes; `fail` makes the next spawns fail with that message. */
export class FakeSpawner implements Spawner {
  readonly procs: FakeProcess[] = [];
  fail: string | null = null;
  private next = FIRST_PID;

  spawn(req: SpawnRequest): SpawnedProcess | SpawnFailed {
    if (this.fail !== null) return failed('E_SPAWN_FAILED', this.fail);
    const p = new FakeProcess(this.next++, req);
    this.procs.push(p);
    return p;
  }

  outputPair(): never {
    throw new Error('the fake spawner has no output pairs (use specs without log files)');
  }

  /** Processes not exited yet. */
  live(): FakeProcess[] {
    return this.procs.filter((p) => !p.exited);
  }

  /** The process of `pid`. */
  get(pid: number | null): FakeProcess {
    const p = this.procs.find((x) => x.pid === pid);
    if (p === undefined) throw new Error(`no fake process ${pid}`);
    return p;
  }
}

/** Every fake a Vassal needs, and what it saw. */
export interface VassalFakes {
  services: VassalServices;
  timers: FakeTimers;
  spawner: FakeSpawner;
  /** group signals sent, as `PID SIGNAL`. */
  signals: string[];
  /** signals to one process (a reload signal, `emperorctl signal`), `PID SIG`. */
  mainSignals: string[];
  /** event records written, in order. */
  events: LiveEvent[];
  /** sockets opened and closed, as `open ADDRESS FD` / `close FD`. */
  sockets: string[];
  /** what missingDependencies answers. */
  missing: string[];
  /** what every probe answers (a pending promise by default: a check that never passes). */
  probe: () => Promise<ProbeResult>;
  /** signals end the process at once (SIGTERM, SIGKILL), as a well-behaved program does. */
  exitOnSignal: boolean;
}

/** Fresh fakes, wired into one VassalServices. */
export function vassalFakes(): VassalFakes {
  const timers = new FakeTimers();
  const spawner = new FakeSpawner();
  const events = new EventLog('text', () => undefined);
  let fd = 100;
  const f: VassalFakes = {
    timers,
    spawner,
    signals: [],
    mainSignals: [],
    events: [],
    sockets: [],
    missing: [],
    probe: () => new Promise(() => undefined),
    exitOnSignal: false,
    services: {
      clock: { now: () => timers.now, unixSeconds: (m) => m / 1000 },
      timers,
      random: () => 0.5,
      signals: { killGroup: (g, s) => killGroup(g, s), kill: (p, s) => killMain(p, s), groupAlive: (g) => alive(g) },
      spawner,
      guardian: { track: () => undefined, untrack: () => undefined },
      events,
      logDir: '/tmp',
      baseEnv: { PATH: '/usr/bin:/bin' },
      stdout: () => undefined,
      stderr: () => undefined,
      groupAlive: (g) => alive(g),
      killGroup: (g, s) => void killGroup(g, s),
      missingDependencies: (_v: Vassal) => [...f.missing],
      stateChanged: () => undefined,
      records: new FakeRecords(),
      daemon: {
        time: { clock: { now: () => timers.now, unixSeconds: (m) => m / 1000 }, timers, wallMs: () => 1_700_000_000_000 + timers.now },
        signals: { killGroup: (g, s) => killGroup(g, s), kill: (p, s) => killGroup(p, s), groupAlive: (g) => alive(g) },
        facts: new FakeFacts(),
      },
      uwsgi: '/usr/bin/uwsgi',
      probe: () => f.probe(),
      openSocket: (a) => {
        const n = fd++;
        f.sockets.push(`open ${formatSocketAddress(a)} ${n}`);
        return { fd: n, ready: Promise.resolve(null), close: () => void f.sockets.push(`close ${n}`) };
      },
    },
  };
  events.subscribe((e) => f.events.push(e));
  const alive = (g: number): boolean => spawner.procs.some((p) => p.pid === g && !p.exited);
  const killGroup = (g: number, s: string): boolean => {
    f.signals.push(`${g} ${s}`);
    const p = spawner.procs.find((x) => x.pid === g && !x.exited);
    if (p !== undefined && f.exitOnSignal && (s === 'SIGTERM' || s === 'SIGKILL')) p.exit(null, s);
    return p !== undefined;
  };
  const killMain = (pid: number, s: string): boolean => {
    f.mainSignals.push(`${pid} ${s}`);
    return spawner.procs.some((x) => x.pid === pid && !x.exited);
  };
  return f;
}

/** Lets pending promises (a socket that listens, a pending spawn) settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
