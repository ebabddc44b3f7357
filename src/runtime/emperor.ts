// The emperor: owns every vassal, keeps them in step with the directory, and shuts them down in order.
import { Vassal } from './vassal.ts';
import type { VassalServices } from './vassal-services.ts';
import type { EventLog } from './event-log.ts';
import type { Clock } from './clock.ts';
import type { Spawner } from '../io/spawner.ts';
import { listVassalFiles, watchVassalDir, type DirEntry, type DirWatch } from '../io/vassal-dir.ts';
import { VassalFileReader } from './vassal-file-reader.ts';
import { groupAlive, killGroup, killProcess } from '../io/process-group.ts';
import { Guardian } from '../io/guardian.ts';
import { Sampler } from '../io/sampler.ts';
import { DaemonRecords } from '../io/daemon-records.ts';
import { join } from 'node:path';
import type { InstanceRunner } from './instance-runner.ts';
import { probe } from '../io/health-probe.ts';
import { directoryTrustProblem } from './directory-trust.ts';
import { openListenSocket, type ListenSocket } from '../io/listen-socket.ts';
import { withRights, type FsRights } from '../io/fs-rights.ts';
import type { SocketAddress } from '../config/socket-address.ts';
import { planReconcile, type Current, type Desired } from '../core/reconcile.ts';
import { stopBatches } from '../core/stop-order.ts';
import { StartQueue } from './start-queue.ts';
import type { CgroupTree } from '../io/cgroup-tree.ts';
import { CgroupUsage } from '../io/cgroup-usage.ts';

/** Debounce between a watcher event and the reconcile it schedules: short, so pickup stays fast. */
export const RECONCILE_DEBOUNCE_MS = 5;

/** New vassals started per event-loop turn. */
export const START_BATCH = 16;

/** What the emperor is told at start. */
export interface EmperorOptions {
  vassalsDir: string;
  logDir: string;
  /** runtime state: daemon records live under it. */
  stateDir: string;
  /** the uWSGI binary for `[uwsgi]` app files. */
  uwsgi: string;
  rescanIntervalMs: number;
  /** CPU/RSS sampling period; 0 turns sampling off. */
  sampleIntervalMs: number;
  env: Record<string, string | undefined>;
  events: EventLog;
  clock: Clock;
  spawner: Spawner;
  stdout(text: string): void;
  stderr(text: string): void;
  /** --tyrant: each vassal runs as its file's owner. */
  tyrant?: boolean;
  /** the emperor runs as root: it trusts only root's files (SPEC section 10); defaults to its euid. */
  root?: boolean;
  /** containment by cgroup (null or absent: process groups). */
  cgroups?: CgroupTree | null;
  /** A vassal appeared, went or changed state (for systemd's STATUS=). */
  onChange?(): void;
}


/** Owns the fleet. */
export class Emperor {
  readonly vassals = new Map<string, Vassal>();
  readonly guardian: Guardian;
  private readonly removing = new Set<string>();
  private readonly waiting = new Set<Vassal>();
  private readonly files: VassalFileReader;
  private readonly missingSince = new Map<string, number>();
  private readonly services: VassalServices;
  private watcher: DirWatch | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private recheck: NodeJS.Timeout | null = null;
  private rescan: NodeJS.Timeout | null = null;
  private sampling: NodeJS.Timeout | null = null;
  private readonly sampler = new Sampler();
  private readonly cgroupUsage = new CgroupUsage();
  private dirError: string | null = null;
  private lastReconcile = -Infinity;
  private readonly starts: StartQueue<Vassal>;
  private readonly root: boolean;
  shuttingDown = false;

  constructor(private readonly opts: EmperorOptions) {
    this.guardian = new Guardian((m) => opts.events.warn(m));
    this.root = opts.root ?? process.geteuid?.() === 0;
    this.starts = new StartQueue(START_BATCH, (v) => {
      if (!this.shuttingDown && this.vassals.get(v.name) === v && !this.removing.has(v.name)) v.start();
    });
    this.files = new VassalFileReader(opts.env, (warning) => opts.events.warn(warning), { root: this.root, tyrant: opts.tyrant === true });
    this.services = {
      clock: opts.clock,
      timers: { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout), setInterval: (f, ms) => setInterval(f, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
      random: Math.random,
      signals: { killGroup: (g, s) => killGroup(g, s as NodeJS.Signals), kill: (p, s) => killProcess(p, s as NodeJS.Signals), groupAlive },
      spawner: opts.spawner,
      guardian: this.guardian,
      events: opts.events,
      logDir: opts.logDir,
      baseEnv: opts.env,
      stdout: opts.stdout,
      stderr: opts.stderr,
      groupAlive,
      killGroup: (g, s) => void killGroup(g, s as NodeJS.Signals),
      missingDependencies: (v) => this.missingDependencies(v),
      stateChanged: (v) => this.stateChanged(v),
      probe,
      openSocket: openSocketAs,
      records: new DaemonRecords(join(opts.stateDir, 'daemons')),
      uwsgi: opts.uwsgi,
      cgroups: opts.cgroups ?? null,
    };
  }

  /** Starts the guardian, the first reconcile, the watcher and the periodic rescan. */
  start(): void {
    this.guardian.start();
    this.reconcile();
    this.watcher = watchVassalDir(this.opts.vassalsDir, () => this.schedule(), (err) => this.opts.events.warn(`watcher: ${err.message}`));
    this.rescan = setInterval(() => this.reconcile(), this.opts.rescanIntervalMs);
    if (this.opts.sampleIntervalMs > 0) this.sampling = setInterval(() => this.sample(), this.opts.sampleIntervalMs);
  }

  /** Resolves once every vassal the last reconcile found to start has been started (spawned). */
  startsQueued(): Promise<void> {
    return this.starts.drained();
  }

  /** Samples CPU and memory of every live instance's process group; enforces max-rss. */
  sample(): void {
    const live: Array<[Vassal, InstanceRunner, number]> = [];
    for (const v of this.vassals.values()) {
      for (const r of v.allRunners()) {
        const pgid = r.pgid;
        if (pgid !== null) live.push([v, r, pgid]);
        else r.usage = null;
      }
    }
    const tree = this.opts.cgroups ?? null;
    const usage = this.cgroupUsage.overlay(this.sampler.sample(live.map(([, , g]) => g), this.opts.clock.now()), (pid) => tree?.cgroupOf(pid) ?? null, this.opts.clock.now());
    for (const [v, r, pgid] of live) {
      const u = usage.get(pgid);
      if (u === undefined) continue;
      r.usage = { rssBytes: u.rssBytes, cpuPercent: u.cpuPercent };
      v.cpuSeconds += u.cpuSecondsDelta;
      const limit = v.spec?.maxRss ?? null;
      if (limit !== null && u.rssBytes > limit) r.dispatch({ type: 'over-memory', rss: u.rssBytes, limit });
    }
  }

  /** Changes the periodic rescan (SIGHUP with a new --config). */
  setRescanInterval(ms: number): void {
    if (this.rescan !== null) clearInterval(this.rescan);
    this.rescan = setInterval(() => this.reconcile(), ms);
  }

  /**
   * Asks for a reconcile soon. The first event after a quiet spell is acted on at once (pickup
   * latency); events that follow within the debounce window make one more reconcile at its end.
   */
  schedule(delayMs: number = RECONCILE_DEBOUNCE_MS): void {
    if (this.shuttingDown || this.debounce !== null) return;
    const quiet = this.opts.clock.now() - this.lastReconcile > delayMs;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.reconcile();
    }, quiet ? 0 : delayMs);
  }

  /** Lists the directory, reads what changed, and acts on the differences. */
  reconcile(): void {
    if (this.shuttingDown) return;
    this.lastReconcile = this.opts.clock.now();
    let entries: DirEntry[];
    try {
      entries = listVassalFiles(this.opts.vassalsDir);
      const untrusted = this.root ? directoryTrustProblem(this.opts.vassalsDir, this.opts.tyrant === true) : null;
      if (untrusted !== null) throw new Error(untrusted);
      if (this.dirError !== null) this.opts.events.info(`vassal directory ${this.opts.vassalsDir} is readable again`);
      this.dirError = null;
    } catch (err) {
      const msg = `cannot use vassal directory ${this.opts.vassalsDir}: ${(err as Error).message}; running vassals are kept, and no file is read until it is fixed`;
      if (msg !== this.dirError) this.opts.events.write({ level: 'error', message: msg });
      this.dirError = msg;
      return;
    }
    const desired = this.files.read(entries);
    const current: Current[] = [...this.vassals.values()].map((v) => ({
      name: v.name,
      file: v.fileStatus.file,
      version: v.fileStatus.version,
      spec: v.spec,
      error: v.fileStatus.error,
      removing: this.removing.has(v.name),
    }));
    for (const op of planReconcile(desired, current, this.missingSince, this.opts.clock.now())) {
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
          v.markInvalid(op.desired.file, op.desired.error ?? 'unusable file', op.desired.version);
          if (op.desired.stop === true) {
            this.reportInvalid(v.name, op.desired.error ?? '', false);
            void v.stop();
            break;
          }
          this.reportInvalid(v.name, op.desired.error ?? '', v.instanceState !== 'STOPPED');
          break;
        }
        case 'remove':
          void this.remove(op.name);
          break;
        case 'recheck':
          if (this.recheck !== null) clearTimeout(this.recheck);
          this.recheck = setTimeout(() => {
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
    for (const t of [this.debounce, this.recheck]) if (t !== null) clearTimeout(t);
    if (this.rescan !== null) clearInterval(this.rescan);
    if (this.sampling !== null) clearInterval(this.sampling);
    this.sampler.close();
    await this.watcher?.close();
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
  }

  /** Kills every process group at once: the operator insisted (second SIGINT). */
  killAll(): void {
    this.shuttingDown = true;
    for (const v of this.vassals.values()) v.killNow();
  }

  private add(d: Desired): void {
    const v = new Vassal(d.name, d.spec, { file: d.file, error: d.error, version: d.version }, this.services);
    this.vassals.set(d.name, v);
    this.opts.onChange?.();
    if (d.error !== null) {
      this.reportInvalid(d.name, d.error, false);
      return;
    }
    this.opts.events.write({ level: 'info', vassal: d.name, message: `found ${d.file}` });
    if (d.spec?.autostart) this.starts.push(v);
  }

  private async remove(name: string): Promise<void> {
    const v = this.vassals.get(name);
    if (v === undefined) return;
    this.removing.add(name);
    this.waiting.delete(v);
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

  private reportInvalid(name: string, error: string, keptRunning: boolean): void {
    for (const line of error.split('\n')) this.opts.events.write({ level: 'error', vassal: name, state: 'INVALID', message: line });
    if (keptRunning) this.opts.events.write({ level: 'warn', vassal: name, message: 'the previous version keeps running until the file is fixed' });
  }

  // Dependencies not RUNNING yet; a vassal that must wait is retried as they change.
  private missingDependencies(v: Vassal): string[] {
    const missing = (v.spec?.depends ?? []).filter((d) => this.vassals.get(d)?.instanceState !== 'RUNNING' || this.removing.has(d));
    if (missing.length > 0) this.waiting.add(v);
    else this.waiting.delete(v);
    return missing;
  }

  private stateChanged(changed: Vassal): void {
    this.opts.onChange?.();
    if (this.shuttingDown || this.waiting.size === 0 || changed.instanceState !== 'RUNNING') return;
    for (const v of [...this.waiting]) {
      if (!v.wanted || v.spec === null) {
        this.waiting.delete(v);
        continue;
      }
      v.start();
    }
  }
}

// A vassal's socket, with its rights for the path a Unix socket takes (made, replaced, removed):
// a vassal never gets the emperor to create or remove a file it could not itself. Binding a port
// below 1024 keeps the emperor's capability (root's files may grant it; --tyrant files cannot).
function openSocketAs(a: SocketAddress, rights: FsRights | null): ListenSocket | { error: string } {
  const s = withRights(rights, () => openListenSocket(a));
  if ('error' in s || rights === null) return s;
  const close = s.close;
  return { ...s, close: () => withRights(rights, close) };
}
