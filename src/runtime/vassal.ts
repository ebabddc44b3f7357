// One vassal at run time: its spec, file status, socket, logs and instances; its decisions are the vassal machine's.
import { hasProcess, worstState, type InstanceStateName, type VassalStateName } from '../core/states.ts';
import { everyId } from '../core/vassal-steps.ts';
import type { Instance } from '../core/lifecycle.ts';
import type { Dialect, VassalSpec } from '../config/spec.ts';
import type { ChangeKind } from '../core/spec-change.ts';
import type { VassalServices } from './vassal-services.ts';
import type { InstanceRunner } from './instance-runner.ts';
import { OutputRing } from './output-ring.ts';
import { VassalLogs } from './vassal-logs.ts';
import { VassalDriver } from './vassal-driver.ts';
import { InstanceTable } from './vassal-instances.ts';
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
  private readonly table: InstanceTable;
  /** the vassal machine and its runner: intent, dependencies, instances by id, the roll. */
  private readonly driver: VassalDriver;
  /** its log writers, made with the first log file: most vassals have none (56 bytes each). */
  private logFiles: VassalLogs | null = null;
  /** recent lines printed to the emperor's output, made with the first line or reader: most vassals never print. */
  private ring: OutputRing | null = null;
  /** CPU seconds its process groups used, summed over every sample (a counter: never goes down). */
  cpuSeconds = 0;

  constructor(
    readonly name: string,
    public spec: VassalSpec | null,
    public fileStatus: FileStatus,
    private readonly services: VassalServices,
  ) {
    this.table = new InstanceTable(services, this);
    this.driver = new VassalDriver(this, services, this.table);
    if (spec !== null) this.driver.send({ type: 'resize' });
  }

  /** Recent lines printed to the emperor's output, for `emperorctl logs`. */
  get output(): OutputRing {
    return (this.ring ??= new OutputRing());
  }

  /** Its log writers (its instances' spawns ask for one). */
  get logs(): VassalLogs {
    return (this.logFiles ??= new VassalLogs(this.name, this.services));
  }

  /** The instances, in index order (retiring ones excluded). */
  get instances(): readonly InstanceRunner[] {
    return this.table.pick(this.driver.state.slots);
  }

  /** Every instance that may still have a process, retiring ones and a replacement starting included. */
  allRunners(): InstanceRunner[] {
    return this.table.pick(everyId(this.driver.state));
  }

  /** Should be running: autostart or an explicit start; false after a stop (held until a start or a file change). */
  get wanted(): boolean {
    return this.driver.state.intent === 'run';
  }

  /** Names of dependencies not RUNNING yet; the vassal waits STOPPED meanwhile. */
  get waitingFor(): readonly string[] {
    return this.driver.state.waitingFor;
  }

  /** Being removed, or the emperor shuts down: nothing starts it again. */
  get retired(): boolean {
    return this.driver.state.intent === 'retired';
  }

  set retired(yes: boolean) {
    if (yes) this.driver.send({ type: 'retire' });
  }

  /** The state an operator sees: INVALID when the file is unusable, else the instances' worst. */
  get state(): VassalStateName {
    if (this.fileStatus.error !== null) return 'INVALID';
    return this.instanceState;
  }

  /** The instances' worst state, ignoring the file (a rolling replacement's surplus process is no instance). */
  get instanceState(): InstanceStateName {
    const st = this.driver.state;
    const states: InstanceStateName[] = [];
    for (const id of everyId(st)) {
      const r = st.surplus.includes(id) ? undefined : this.table.get(id);
      if (r !== undefined) states.push(r.state.state);
    }
    return worstState(states);
  }

  /** The error to show: the file's, the dependency wait, the roll's, or an instance's. */
  get error(): string | null {
    if (this.fileStatus.error !== null) return this.fileStatus.error;
    if (this.waitingFor.length > 0) return waitingMessage(this.waitingFor, (d) => this.services.lookup?.(d));
    if (this.rollError !== null) return this.rollError;
    const runners = this.instances;
    for (const r of runners) if (r.state.error !== null) return r.state.error;
    for (const r of runners) if (r.state.recovery !== null) return r.state.recovery;
    return null;
  }

  /** why the last rolling restart stopped, if it did. */
  get rollError(): string | null {
    return this.driver.state.rollError;
  }

  /** True when every instance and retired instance has no process left. */
  get quiet(): boolean {
    return this.allRunners().every((r) => !hasProcess(r.state.state));
  }

  /** log bytes dropped because a log file could not be written (a counter). */
  get droppedBytes(): number {
    return this.logFiles?.droppedBytes ?? 0;
  }

  /** Starts every instance that is not running, once its dependencies are RUNNING. */
  start(): void {
    this.driver.send({ type: 'start' });
  }

  /** Stops every instance (for good with `retire`); resolves once no process of any group is left. */
  stop(retire = false): Promise<void> {
    this.driver.send({ type: 'stop', retire });
    return this.whenQuiet();
  }

  /**
   * Restarts every instance, one at a time, each RUNNING before the next. With `socket`, each
   * replacement starts beside the instance it replaces, which stops once the replacement is RUNNING.
   */
  rollingRestart(): void {
    this.driver.send({ type: 'restart' });
  }

  /** Applies a changed file: see SPEC section 4 for which change does what. */
  applyChange(spec: VassalSpec, kind: ChangeKind, version: string): void {
    if (this.retired) return;
    queueMicrotask(() => this.logFiles?.prune(spec));
    const first = this.spec === null;
    const formerSocket = this.spec?.socket ?? null;
    this.spec = spec;
    this.fileStatus = { file: spec.file, error: null, version };
    this.driver.send({ type: 'change', kind, first, formerSocket });
  }

  /** Marks the file unusable; running processes are left exactly as they are. */
  markInvalid(file: string, error: string, version: string, dialect: Dialect | null = null): void {
    this.fileStatus = { file, error, version, dialect };
  }

  /** Leaves its daemons running and stops watching them (the emperor shuts down). */
  release(): void {
    this.driver.send({ type: 'release' });
  }

  /** Kills every process group at once (second SIGINT); settles once children still being spawned are killed too. */
  async killNow(): Promise<void> {
    await Promise.all([...this.allRunners()].map((r) => r.killNow()));
  }

  /** Settles once every spawn under way (on the thread pool) has its answer. */
  async spawnsSettled(): Promise<void> {
    await Promise.all([...this.allRunners()].map((r) => r.spawnSettled()));
  }

  /** Drops timers and closes its socket; the vassal is gone. */
  dispose(): void {
    this.driver.send({ type: 'dispose' });
    this.table.closeSocket();
  }

  /** Resolves once no instance has a process. */
  whenQuiet(): Promise<void> {
    return this.driver.whenQuiet();
  }

  /** Writes what the log writers hold and closes them (the vassal is gone). */
  closeLogs(): Promise<void> {
    return this.logFiles?.closeAll() ?? Promise.resolve();
  }

  /** Names of its dependencies that are missing or not RUNNING (its driver asks). */
  missingDependencies(): string[] {
    return this.services.missingDependencies(this);
  }

  /** Tells the fleet it changed (its driver calls this). */
  report(): void {
    this.services.stateChanged(this);
  }

  /** An instance's transition (its table reports it): its event line, and the vassal machine is told. */
  instanceChanged(id: number, runner: InstanceRunner, before: Instance, after: Instance, note: string | null): void {
    const line = transitionEvent(this.name, runner.index, before, after, note);
    if (line !== null) this.services.events.write(line);
    this.driver.send({ type: 'instance-changed', id });
  }
}
