// Smart-attached daemons (SPEC section 5): the thin runner of src/core/daemon-watch.ts. It reads the
// pidfile and the process it names, feeds the watch, and carries out what the watch decides.
import { asWho, type FsRights } from '../io/fs-rights.ts';
import type { DaemonRecords } from '../io/daemon-records.ts';
import type { SpawnRequest, Spawner } from '../io/spawner.ts';
import { decide, initialWatch, type WatchContext, type WatchEffect, type WatchEvent, type WatchState } from '../core/daemon-watch.ts';
import type { DaemonPorts, TimerHandle } from './ports.ts';
import { describeErrno, failed, type Failed } from '../core/errors.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import { supervise, type SuperviseOptions } from './daemon-supervise.ts';

export { DAEMON_CHECK_MS } from './daemon-supervise.ts';
export { MAX_PIDFILE_DELAY_MS } from '../core/daemon-watch-judge.ts';

/** Everything one daemon start needs. */
export interface DaemonOptions {
  name: string;
  pidfile: string;
  pidfileBy: 'daemon' | 'emperor';
  request: SpawnRequest;
  spawner: Spawner;
  records: DaemonRecords;
  startTimeoutMs: number;
  /** uid the daemon must run as: the vassal's user, else the emperor's. */
  uid: number;
  /** whose rights read (and, with pidfileBy emperor, write) the pidfile; null: the emperor's own. */
  rights: FsRights | null;
  emperorPid: number;
  guard: { track(pgid: number): void; untrack(pgid: number): void };
  note(message: string): void;
  /** what stops the daemon, should one appear after its start was cancelled. */
  stopSignal: string;
  stopTimeoutMs: number;
  /** time, signals and the system's facts (pidfiles, identities). */
  ports: DaemonPorts;
}

/** Adopts the live daemon its pidfile names, or launches the command and waits for the pidfile. */
export function startDaemon(o: DaemonOptions): Supervised | PendingSpawn | Failed {
  return new DaemonStart(o).begin();
}

// One start: the watch's state, its pending answer, and the timers it set.
class DaemonStart {
  private state: WatchState = initialWatch;
  private readonly ctx: WatchContext;
  private readonly queue: WatchEvent[] = [];
  private busy = false;
  private settle: (r: Supervised | Failed) => void = () => {};
  private adopted: Supervised | null = null;
  private launchError: Failed | null = null;
  private timer: TimerHandle | null = null;
  private launcher = -1;

  constructor(private readonly o: DaemonOptions) {
    this.ctx = { name: o.name, pidfile: o.pidfile, uid: o.uid, emperorPid: o.emperorPid, foreground: o.pidfileBy === 'emperor', startTimeoutMs: o.startTimeoutMs, stopSignal: o.stopSignal, stopTimeoutMs: o.stopTimeoutMs };
  }

  begin(): Supervised | PendingSpawn | Failed {
    const { facts } = this.o.ports;
    const reading = facts.readPidfile(this.o.pidfile, this.o.rights);
    const id = reading.ok ? facts.identify(reading.pid) : null;
    // The record is read only when a live process may be adopted (as before: no needless file reads).
    const record = id !== null ? this.o.records.get(this.o.name) : null;
    this.feed({ type: 'begin', reading, id, record, bootMs: id !== null ? facts.bootTimeMs() : 0 });
    if (this.adopted !== null) return this.adopted;
    if (this.launchError !== null) return this.launchError;
    if (this.o.pidfileBy === 'emperor') return this.foreground();
    const pending = new Promise<Supervised | Failed>((resolve) => (this.settle = resolve));
    return { pending, cancel: (stopDaemon = true) => this.feed({ type: 'cancel', stopDaemon }) };
  }

  // uWSGI's smart-attach-daemon2: the command stays in the foreground and the emperor writes the pidfile.
  private foreground(): Supervised | Failed {
    const { facts, signals } = this.o.ports;
    const launcher = this.launcher;
    const id = facts.identify(launcher);
    this.o.guard.untrack(launcher);
    if (id === null) return failed('E_SPAWN_FAILED', `${this.o.name}: the command exited at once`);
    try {
      facts.writePidfile(this.o.pidfile, launcher, this.o.rights);
    } catch (err) {
      signals.killGroup(launcher, 'SIGKILL');
      return failed('E_PIDFILE_WRITE', `cannot write pidfile ${this.o.pidfile}${asWho(this.o.rights)}: ${describeErrno(err)}`);
    }
    return supervise(id, this.superviseOptions());
  }

  // Events raised while effects run are queued, never re-entered.
  private feed(ev: WatchEvent): void {
    this.queue.push(ev);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        const step = decide(this.state, next, this.ctx);
        this.state = step.state;
        for (const e of step.effects) this.apply(e);
      }
    } finally {
      this.busy = false;
    }
  }

  private apply(e: WatchEffect): void {
    const { signals, facts } = this.o.ports;
    switch (e.type) {
      case 'note':
        return this.o.note(e.message);
      case 'adopt':
        this.adopted = supervise(e.id, this.superviseOptions());
        return this.settle(this.adopted);
      case 'launch':
        return this.launch();
      case 'track':
        return this.o.guard.track(e.pid);
      case 'untrack':
        return this.o.guard.untrack(e.pid);
      case 'end-launcher':
        this.o.guard.untrack(e.pid);
        if (signals.groupAlive(e.pid)) signals.killGroup(e.pid, 'SIGKILL');
        return;
      case 'poll-after':
        return this.after(e.ms, false, () => this.read('poll'));
      case 'check-launcher':
        return void this.queue.push({ type: 'launcher', alive: signals.groupAlive(e.pid) });
      case 'settle-error':
        return this.settle(failed(e.code, e.error));
      case 'sweep-after':
        // The first look is at once, as the cancel happens.
        if (e.ms === 0) return this.read('sweep');
        return this.after(e.ms, true, () => this.read('sweep'));
      case 'signal':
        return void signals.kill(e.pid, e.signal);
      case 'stray-timer': {
        const pid = this.state.phase === 'stopping-stray' ? this.state.stray.pid : -1;
        return this.after(e.ms, true, () => this.feed({ type: 'stray-timeout', id: facts.identify(pid) }));
      }
    }
  }

  private launch(): void {
    const launchedMs = this.o.ports.time.wallMs();
    const child = this.o.spawner.spawn(this.o.request);
    if ('error' in child) {
      this.launchError = child;
      return;
    }
    this.launcher = child.pid;
    this.queue.push({ type: 'launched', pid: child.pid, launchedMs });
    child.onExit((code, signal) => this.feed({ type: 'launcher-exit', code, signal }));
  }

  // Reads the pidfile and the process it names, as a poll or a sweep.
  private read(type: 'poll' | 'sweep'): void {
    const { facts, time } = this.o.ports;
    const reading = facts.readPidfile(this.o.pidfile, this.o.rights);
    const event = { type, reading, id: reading.ok ? facts.identify(reading.pid) : null, now: time.wallMs() };
    if (this.busy) this.queue.push(event);
    else this.feed(event);
  }

  private after(ms: number, unref: boolean, fn: () => void): void {
    const timers = this.o.ports.time.timers;
    timers.clearTimeout(this.timer);
    this.timer = timers.setTimeout(fn, ms);
    if (unref) this.timer.unref?.();
  }

  private superviseOptions(): SuperviseOptions {
    return { name: this.o.name, pidfile: this.o.pidfile, group: this.o.pidfileBy === 'emperor', records: this.o.records, ports: this.o.ports, note: this.o.note };
  }
}
