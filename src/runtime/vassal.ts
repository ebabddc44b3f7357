// One vassal: its spec, its instances, rolling restarts, and what its file's changes mean for them.
import { InstanceRunner } from './instance-runner.ts';
import { hasProcess, worstState, type InstanceStateName, type VassalStateName } from '../core/states.ts';
import type { Instance } from '../core/lifecycle.ts';
import type { Dialect, VassalSpec } from '../config/spec.ts';
import type { ChangeKind } from '../core/spec-change.ts';
import type { VassalServices } from './vassal-services.ts';
import { OutputRing } from './output-ring.ts';
import { VassalLogs } from './vassal-logs.ts';
import { socketsClash, VassalSocket } from './vassal-socket.ts';
import { formatSocketAddress } from '../config/socket-address.ts';
import { RollingRestart } from './vassal-roll.ts';
import { instanceHost, type HostSource } from './instance-host.ts';
import { transitionEvent } from './transition-event.ts';
import { waitingMessage } from './depends-completed.ts';

/** Whether a vassal's file is usable, and since when it is not. */
export interface FileStatus {
  file: string;
  /** every problem, one `FILE:LINE: message` per line; null when the file is usable. */
  error: string | null;
  /** which version of the file this is (a new stamp is a new version), to tell a change from none. */
  version: string;
  /** the file's dialect, known as soon as its section is (an INVALID file too); null: none found. */
  dialect?: Dialect | null;
}

/** Owns a vassal's instances and turns operator intent and file changes into lifecycle events. */
export class Vassal {
  private runners: InstanceRunner[] = [];
  private readonly retiring = new Set<InstanceRunner>();
  private readonly rolling: RollingRestart;
  /** what each runner's host reads: the spec of now, and the one each process was started from. */
  private readonly hostSource: HostSource;
  private readonly socket: VassalSocket;
  /** should be running: autostart or an explicit start; false after a stop. */
  wanted = false;
  /** names of dependencies not RUNNING yet; the vassal waits STOPPED meanwhile. */
  waitingFor: string[] = [];
  /** Bumped by every stop: a start deferred past one (`emperorctl stop`, removal) is called off. */
  private generation = 0;

  /** Being removed, or the emperor shuts down: nothing starts it again. */
  retired = false;
  /** resolved once no runner has a process (`whenQuiet`). */
  private goneWaiters: Array<() => void> = [];
  private readonly logs: VassalLogs;
  /** CPU seconds its process groups used, summed over every sample (a counter: never goes down). */
  cpuSeconds = 0;
  /** recent lines printed to the emperor's output, for `emperorctl logs`. */
  readonly output = new OutputRing();

  constructor(
    readonly name: string,
    public spec: VassalSpec | null,
    public fileStatus: FileStatus,
    private readonly services: VassalServices,
  ) {
    this.logs = new VassalLogs(name, services);
    this.socket = new VassalSocket(services.openSocket);
    this.hostSource = {
      services,
      spec: () => this.spec,
      startedFrom: new WeakMap(),
      spawning: { name, services, socket: this.socket, logs: this.logs, output: this.output },
      changed: (runner, before, after, note) => this.changed(runner, before, after, note),
    };
    this.rolling = new RollingRestart({
      name,
      events: services.events,
      spec: () => this.spec,
      instances: () => this.runners,
      newRunner: (index) => this.newRunner(index),
      replace: (index, runner) => {
        const old = this.runners[index];
        if (old !== undefined) runner.inherit(old);
        this.runners[index] = runner;
      },
      retire: (runner) => void this.retiring.add(runner),
    });
    if (spec !== null) this.resize(spec.instances);
  }

  /** The instances, in index order (retiring ones excluded). */
  get instances(): readonly InstanceRunner[] {
    return this.runners;
  }

  /** Every instance that may still have a process, retiring ones included. */
  allRunners(): InstanceRunner[] {
    const all = [...this.runners, ...this.retiring];
    const starting = this.rolling.starting;
    if (starting !== null) all.push(starting);
    return all;
  }

  /** The state an operator sees: INVALID when the file is unusable, else the instances' worst. */
  get state(): VassalStateName {
    if (this.fileStatus.error !== null) return 'INVALID';
    return this.instanceState;
  }

  /** The instances' worst state, ignoring the file (a rolling replacement's surplus process is no instance). */
  get instanceState(): InstanceStateName {
    return worstState(this.allRunners().filter((r) => !this.rolling.isSurplus(r)).map((r) => r.state.state));
  }

  /** The error to show: the file's, the dependency wait, the roll's, or an instance's. */
  get error(): string | null {
    if (this.fileStatus.error !== null) return this.fileStatus.error;
    if (this.waitingFor.length > 0) return waitingMessage(this.waitingFor, (d) => this.services.lookup?.(d));
    if (this.rollError !== null) return this.rollError;
    for (const r of this.runners) if (r.state.error !== null) return r.state.error;
    for (const r of this.runners) if (r.state.recovery !== null) return r.state.recovery;
    return null;
  }

  /** why the last rolling restart stopped, if it did. */
  get rollError(): string | null {
    return this.rolling.error;
  }

  /** True when every instance and retired instance has no process left. */
  get quiet(): boolean {
    return this.allRunners().every((r) => !hasProcess(r.state.state));
  }

  /** log bytes dropped because a log file could not be written (a counter). */
  get droppedBytes(): number {
    return this.logs.droppedBytes;
  }

  /** Starts every instance that is not running, once its dependencies are RUNNING. */
  start(): void {
    if (this.retired) return;
    this.wanted = true;
    this.waitingFor = this.services.missingDependencies(this);
    if (this.waitingFor.length > 0) return;
    for (const r of this.runners) r.dispatch({ type: 'start' });
  }

  /** Stops every instance; resolves once no process of any group is left. */
  stop(retire = false): Promise<void> {
    this.generation++;
    if (retire) this.retired = true;
    this.wanted = false;
    this.rolling.cancel();
    for (const r of this.allRunners()) r.dispatch({ type: 'stop' });
    return this.whenQuiet();
  }

  /**
   * Restarts every instance, one at a time, each RUNNING before the next. With `socket`, each
   * replacement starts beside the instance it replaces, which stops once the replacement is RUNNING.
   */
  rollingRestart(): void {
    if (this.retired) return;
    this.wanted = true;
    this.rolling.begin();
  }

  /** Applies a changed file: see SPEC section 4 for which change does what. */
  applyChange(spec: VassalSpec, kind: ChangeKind, version: string): void {
    if (this.retired) return;
    queueMicrotask(() => this.logs.prune(spec));
    const first = this.spec === null;
    const formerSocket = this.spec?.socket ?? null;
    this.spec = spec;
    this.fileStatus = { file: spec.file, error: null, version };
    this.resize(spec.instances);
    // Supervision keys apply to running instances at once; a restart's new version comes with each replacement.
    if (kind !== 'restart') for (const r of this.allRunners()) this.hostSource.startedFrom.set(r, spec);
    const live = this.runners.some((r) => hasProcess(r.state.state));
    const wants = this.wanted || spec.autostart;
    if (kind === 'restart' || first || (kind === 'touch' && spec.reloadSignal === null)) {
      if (live && formerSocket !== null && spec.socket !== null && formatSocketAddress(formerSocket) !== formatSocketAddress(spec.socket) && socketsClash(formerSocket, spec.socket)) {
        // The old address holds the port (or path) the new one needs, in every old instance too:
        // no instance of the new version can start beside them. Stop them all, then start.
        this.services.events.write({
          level: 'warn',
          vassal: this.name,
          message: `socket changes from ${formatSocketAddress(formerSocket)} to ${formatSocketAddress(spec.socket)} on the same ${spec.socket.kind === 'tcp' ? 'port' : 'path'}: every instance stops before the new address is bound (no rolling restart)`,
        });
        const stopped = this.stop();
        // Still wanted (a change meanwhile finds it so); a later stop (a new generation) calls the start off.
        this.wanted = true;
        const gen = this.generation;
        void stopped.then(() => {
          if (!this.retired && this.generation === gen && this.wanted) this.start();
        });
        return;
      }
      if (live) this.rollingRestart();
      else if (wants) this.start();
      return;
    }
    if (spec.reloadSignal !== null) {
      for (const r of this.runners) if (hasProcess(r.state.state)) r.signalProcess(spec.reloadSignal);
    }
    // New supervision keys take effect: an instance past start-secs is judged again (say, without its health check).
    for (const r of this.runners) {
      if (r.state.state === 'STARTING' && r.state.startSecsDone) r.dispatch({ type: 'timer', timer: 'start-secs', groupAlive: false });
    }
    // A FATAL or EXITED vassal starts again when its file changes; added instances start too.
    if (wants) this.start();
  }

  /** Marks the file unusable; running processes are left exactly as they are. */
  markInvalid(file: string, error: string, version: string, dialect: Dialect | null = null): void {
    this.fileStatus = { file, error, version, dialect };
  }

  /** Leaves its daemons running and stops watching them (the emperor shuts down). */
  release(): void {
    this.wanted = false;
    this.rolling.cancel();
    for (const r of this.allRunners()) r.release();
  }

  /** Kills every process group at once (second SIGINT). */
  killNow(): void {
    for (const r of this.allRunners()) r.killNow();
  }

  /** Drops timers and closes its socket; the vassal is gone. */
  dispose(): void {
    this.rolling.cancel();
    for (const r of this.allRunners()) r.dispose();
    this.socket.close();
  }

  /** Resolves once no instance has a process. */
  whenQuiet(): Promise<void> {
    if (this.quiet) return Promise.resolve();
    return new Promise((resolve) => this.goneWaiters.push(resolve));
  }

  private resize(count: number): void {
    while (this.runners.length < count) {
      this.runners.push(this.newRunner(this.runners.length));
    }
    while (this.runners.length > count) {
      const r = this.runners.pop();
      if (r === undefined) break;
      this.retiring.add(r);
      r.dispatch({ type: 'stop' });
    }
    this.dropRetired();
  }

  private dropRetired(): void {
    for (const r of this.retiring) {
      if (r.state.state === 'STOPPED' || r.state.state === 'EXITED' || r.state.state === 'FATAL') {
        r.dispose();
        this.retiring.delete(r);
      }
    }
  }

  /** Writes what the log writers hold and closes them (the vassal is gone). */
  closeLogs(): Promise<void> {
    return this.logs.closeAll();
  }

  // A runner for instance `index`, which reports its changes as itself.
  private newRunner(index: number): InstanceRunner {
    let self: InstanceRunner | null = null;
    const runner = new InstanceRunner(index, instanceHost(this.hostSource, () => self));
    self = runner;
    return runner;
  }

  private changed(runner: InstanceRunner, before: Instance, after: Instance, note: string | null): void {
    const retired = this.retiring.has(runner);
    const line = transitionEvent(this.name, runner.index, before, after, note);
    if (line !== null) this.services.events.write(line);
    if (retired) this.dropRetired();
    this.rolling.changed(runner, retired);
    if (this.quiet && this.goneWaiters.length > 0) {
      const waiters = this.goneWaiters;
      this.goneWaiters = [];
      for (const w of waiters) w();
    }
    this.services.stateChanged(this);
  }
}
