// The emperor: owns every vassal, keeps them in step with the directory, and shuts them down in order.
// Every effect it reaches comes through the ports it is given (src/runtime/emperor-ports.ts).
import { Vassal } from './vassal.ts';
import type { VassalServices } from './vassal-services.ts';
import type { EventLog } from './event-log.ts';
import type { DirWatch } from '../io/vassal-dir.ts';
import { planReconcile, type Desired } from '../core/reconcile.ts';
import { stopBatches } from '../core/stop-order.ts';
import { StartQueue } from './start-queue.ts';
import type { EmperorPorts, GuardianPort, SourceHealth } from './emperor-ports.ts';
import type { TimerHandle } from './ports.ts';
import { currentFleet, vassalServices } from './emperor-services.ts';
import { FleetSampling } from './fleet-sampling.ts';
import { DependencyWaits } from './dependency-waits.ts';
import { reportInvalid } from './directory-reader.ts';
import { mergeSources, type SourceRead } from '../core/source-merge.ts';

/** Debounce between a watcher event and the reconcile it schedules: short, so pickup stays fast. */
export const RECONCILE_DEBOUNCE_MS = 5;

/** New vassals started per event-loop turn. */
export const START_BATCH = 16;

/** What the emperor is told at start. */
export interface EmperorOptions {
  logDir: string;
  /** the uWSGI binary for `[uwsgi]` app files. */
  uwsgi: string;
  /** --uwsgi-heartbeat-timeout (default 30 s). */
  uwsgiHeartbeatMs?: number;
  rescanIntervalMs: number;
  /** CPU/RSS sampling period; 0 turns sampling off. */
  sampleIntervalMs: number;
  env: Record<string, string | undefined>;
  events: EventLog;
  stdout(text: string): void;
  stderr(text: string): void;
  /** every effect: time, signals, spawner, guardian, sampler, records, probe, sockets, the directory. */
  ports: EmperorPorts;
  /** A vassal appeared, went or changed state (for systemd's STATUS=). */
  onChange?(): void;
}

/** Owns the fleet. */
export class Emperor {
  readonly vassals = new Map<string, Vassal>();
  readonly guardian: GuardianPort;
  private readonly removing = new Set<string>();
  private readonly waits: DependencyWaits;
  private readonly missingSince = new Map<string, number>();
  private readonly services: VassalServices;
  private readonly ports: EmperorPorts;
  private watchers: DirWatch[] = [];
  private debounce: TimerHandle | null = null;
  private recheck: TimerHandle | null = null;
  private rescan: TimerHandle | null = null;
  private sampling: TimerHandle | null = null;
  private lastReconcile = -Infinity;
  private readonly starts: StartQueue<Vassal>;
  private readonly fleetSampling: FleetSampling;
  shuttingDown = false;

  constructor(private readonly opts: EmperorOptions) {
    this.ports = opts.ports;
    this.guardian = opts.ports.guardian;
    this.fleetSampling = new FleetSampling(opts.ports.sampler, opts.ports.cgroups, opts.ports.subtreeCpu);
    this.waits = new DependencyWaits(this.vassals, this.removing);
    this.starts = new StartQueue(START_BATCH, (v) => {
      if (!this.shuttingDown && this.vassals.get(v.name) === v && !this.removing.has(v.name)) v.start();
    }, opts.ports.nextTurn);
    this.services = vassalServices(opts.ports, { ...opts, missingDependencies: (v) => this.waits.missing(v), stateChanged: (v) => this.stateChanged(v), lookup: (name) => this.vassals.get(name) });
  }

  private get timers(): EmperorPorts['time']['timers'] {
    return this.ports.time.timers;
  }

  /** Starts the guardian, the first reconcile, the watcher and the periodic rescan. */
  start(): void {
    this.guardian.start();
    this.reconcile();
    this.watchers = this.ports.sources.map((s) => s.watch(() => this.schedule(), (err) => this.opts.events.warn(`watcher: ${err.message}`)));
    this.rescan = this.timers.setInterval(() => this.reconcile(), this.opts.rescanIntervalMs);
    if (this.opts.sampleIntervalMs > 0) this.sampling = this.timers.setInterval(() => this.sample(), this.opts.sampleIntervalMs);
  }

  /** Each source's health, for the stats, the status and the metrics. */
  sourceHealth(): SourceHealth[] {
    return this.ports.sources.map((s) => s.health());
  }

  /** Resolves once every vassal the last reconcile found to start has been started (spawned). */
  async startsQueued(): Promise<void> {
    await this.starts.drained();
    // A spawn on the thread pool (the native helper's) has no pid yet when its start is taken: READY waits for it.
    await Promise.all([...this.vassals.values()].map((v) => v.spawnsSettled()));
  }

  /** Samples CPU and memory of every live instance's process group (nothing when nothing ran); enforces max-rss. */
  sample(): void {
    this.fleetSampling.tick(this.vassals, this.ports.time.clock.now());
  }

  /** Changes the periodic rescan (SIGHUP with a new --config). */
  setRescanInterval(ms: number): void {
    this.timers.clearInterval(this.rescan);
    this.rescan = this.timers.setInterval(() => this.reconcile(), ms);
  }

  /**
   * Asks for a reconcile soon. The first event after a quiet spell is acted on at once (pickup
   * latency); events that follow within the debounce window make one more reconcile at its end.
   */
  schedule(delayMs: number = RECONCILE_DEBOUNCE_MS): void {
    if (this.shuttingDown || this.debounce !== null) return;
    const quiet = this.ports.time.clock.now() - this.lastReconcile > delayMs;
    this.debounce = this.timers.setTimeout(() => {
      this.debounce = null;
      this.reconcile();
    }, quiet ? 0 : delayMs);
  }

  /** Reads every source (a directory lists and reads what changed), and acts on the differences. */
  reconcile(): void {
    if (this.shuttingDown) return;
    this.lastReconcile = this.ports.time.clock.now();
    const reads: SourceRead[] = [];
    for (const source of this.ports.sources) {
      const desired = source.read(this.opts.events);
      if (desired === null) return; // a source that cannot be used now keeps every running vassal
      reads.push({ address: source.health().address, desired });
    }
    const desired = mergeSources(reads);
    const current = currentFleet(this.vassals.values(), this.removing);
    for (const op of planReconcile(desired, current, this.missingSince, this.ports.time.clock.now())) {
      switch (op.op) {
        case 'add':
          this.add(op.desired);
          break;
        case 'change': {
          const v = this.vassals.get(op.desired.name);
          if (v === undefined) break;
          this.opts.events.write({ level: 'info', vassal: v.name, message: `file changed (${op.kind}): ${op.desired.file}` });
          v.applyChange(op.desired.spec, op.kind, op.desired.version);
          break;
        }
        case 'invalid': {
          const v = this.vassals.get(op.desired.name);
          if (v === undefined) break;
          v.markInvalid(op.desired.file, op.desired.error ?? 'unusable file', op.desired.version, op.desired.dialect ?? null);
          if (op.desired.stop === true) {
            reportInvalid(this.opts.events, v.name, op.desired.error ?? '', false);
            void v.stop();
            break;
          }
          reportInvalid(this.opts.events, v.name, op.desired.error ?? '', v.instanceState !== 'STOPPED');
          break;
        }
        case 'remove':
          void this.remove(op.name);
          break;
        case 'recheck':
          this.timers.clearTimeout(this.recheck);
          this.recheck = this.timers.setTimeout(() => {
            this.recheck = null;
            this.reconcile();
          }, op.afterMs);
          break;
      }
    }
  }

  /** Stops every vassal, dependents before their dependencies, each with its own timeout. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const t of [this.debounce, this.recheck]) this.timers.clearTimeout(t);
    this.timers.clearInterval(this.rescan);
    this.timers.clearInterval(this.sampling);
    this.fleetSampling.close();
    await Promise.all(this.watchers.map((w) => w.close()));
    // Nothing starts again from here on (a control request during shutdown included).
    for (const v of this.vassals.values()) v.retired = true;
    // Smart-attached daemons live on, to be adopted by the next emperor (SPEC section 2).
    for (const v of this.vassals.values()) if (v.spec?.pidfile != null) v.release();
    const attached = [...this.vassals.values()].filter((v) => v.spec?.pidfile == null);
    for (const batch of stopBatches(attached, (v) => v.name, (v) => v.spec?.depends ?? [])) {
      await Promise.all(batch.map((v) => v.stop(true)));
    }
    for (const v of this.vassals.values()) v.dispose();
    await Promise.all([...this.vassals.values()].map((v) => v.closeLogs()));
    this.guardian.close();
    this.ports.readiness?.close();
  }

  /** Kills every process group at once: the operator insisted (second SIGINT); settles once spawns in flight are killed. */
  async killAll(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all([...this.vassals.values()].map((v) => v.killNow()));
  }

  private add(d: Desired): void {
    // The desired record is its file status as it is (the reader gives the same object while the file is unchanged).
    const v = new Vassal(d.name, d.spec, d, this.services);
    this.vassals.set(d.name, v);
    this.opts.onChange?.();
    if (d.error !== null) {
      reportInvalid(this.opts.events, d.name, d.error, false);
      return;
    }
    this.opts.events.write({ level: 'info', vassal: d.name, message: `found ${d.file}` });
    if (d.spec?.autostart) this.starts.push(v);
  }

  private async remove(name: string): Promise<void> {
    const v = this.vassals.get(name);
    if (v === undefined) return;
    this.removing.add(name);
    this.waits.forget(v);
    this.opts.events.write({ level: 'info', vassal: name, message: `file removed: ${v.fileStatus.file}; stopping` });
    await v.stop(true);
    v.dispose();
    await v.closeLogs();
    this.vassals.delete(name);
    this.removing.delete(name);
    this.opts.events.write({ level: 'info', vassal: name, message: 'removed' });
    this.stateChanged(v);
    this.schedule(); // its file may have come back meanwhile
  }

  private stateChanged(changed: Vassal): void {
    this.opts.onChange?.();
    if (!this.shuttingDown) this.waits.changed(changed);
  }
}
