// One vassal: its spec, its instances, rolling restarts, and what its file's changes mean for them.
import { InstanceRunner, type InstanceHost } from './instance-runner.ts';
import { hasProcess, worstState, type InstanceStateName, type VassalStateName } from '../core/states.ts';
import type { Instance, LifecyclePolicy } from '../core/lifecycle.ts';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import type { ChangeKind } from '../core/spec-change.ts';
import type { VassalServices } from './vassal-services.ts';
import { buildSpawnRequest, attachOutput } from './spawn-request.ts';
import { OutputRing } from './output-ring.ts';
import { startDaemon } from './daemon.ts';
import { runAs, vassalRights } from './run-as.ts';
import { spawnPiped } from './piped-spawn.ts';
import { VassalLogs } from './vassal-logs.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import { VassalSocket } from './vassal-socket.ts';
import { handOverSocket } from './socket-activation.ts';
import { explainUnrunnable } from '../io/spawner.ts';

/** A daemon gets at least this long to write its pidfile (SPEC section 5). */
export const DAEMON_MIN_START_MS = 10_000;

/** Whether a vassal's file is usable, and since when it is not. */
export interface FileStatus {
  file: string;
  /** every problem, one `FILE:LINE: message` per line; null when the file is usable. */
  error: string | null;
  /** which version of the file this is (a new stamp is a new version), to tell a change from none. */
  version: string;
}

// A rolling restart in progress: instances still to replace, the one being replaced now, and whether
// replacements start first (with `socket`: old and new share the socket, so nothing stops serving).
interface Roll {
  queue: number[];
  current: number | null;
  surge: boolean;
}

// A replacement started beside the instance it replaces, which it takes over once RUNNING.
interface Replacement {
  index: number;
  runner: InstanceRunner;
  deadline: NodeJS.Timeout;
}

/** Slack over start-secs (and the health probes) before a replacement that is still STARTING counts as failed. */
export const REPLACEMENT_SLACK_MS = 1000;

/** Owns a vassal's instances and turns operator intent and file changes into lifecycle events. */
export class Vassal {
  private runners: InstanceRunner[] = [];
  private readonly retiring = new Set<InstanceRunner>();
  private roll: Roll | null = null;
  private replacement: Replacement | null = null;
  /** a replacement until it takes over, and the process it replaced while that drains: pids, not instances. */
  private readonly surplus = new WeakSet<InstanceRunner>();
  /** the spec each instance's process was started from: an instance not yet replaced keeps its health check. */
  private readonly startedFrom = new WeakMap<InstanceRunner, VassalSpec>();
  private readonly socket: VassalSocket;
  /** should be running: autostart or an explicit start; false after a stop. */
  wanted = false;
  /** names of dependencies not RUNNING yet; the vassal waits STOPPED meanwhile. */
  waitingFor: string[] = [];
  /** why the last rolling restart stopped, if it did. */
  rollError: string | null = null;
  private goneWaiters: Array<() => void> = [];
  /** log bytes dropped because a log file could not be written (a counter). */
  get droppedBytes(): number {
    return this.logs.droppedBytes;
  }
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
    if (spec !== null) this.resize(spec.instances);
  }

  /** The instances, in index order (retiring ones excluded). */
  get instances(): readonly InstanceRunner[] {
    return this.runners;
  }

  /** Every instance that may still have a process, retiring ones included. */
  allRunners(): InstanceRunner[] {
    const all = [...this.runners, ...this.retiring];
    if (this.replacement !== null) all.push(this.replacement.runner);
    return all;
  }

  /** The state an operator sees: INVALID when the file is unusable, else the instances' worst. */
  get state(): VassalStateName {
    if (this.fileStatus.error !== null) return 'INVALID';
    return this.instanceState;
  }

  /** The instances' worst state, ignoring the file (a rolling replacement's surplus process is no instance). */
  get instanceState(): InstanceStateName {
    return worstState(this.allRunners().filter((r) => !this.surplus.has(r)).map((r) => r.state.state));
  }

  /** The error to show: the file's, the dependency wait, the roll's, or an instance's. */
  get error(): string | null {
    if (this.fileStatus.error !== null) return this.fileStatus.error;
    if (this.waitingFor.length > 0) return `waiting for ${this.waitingFor.join(', ')} to be RUNNING (depends)`;
    if (this.rollError !== null) return this.rollError;
    for (const r of this.runners) if (r.state.error !== null) return r.state.error;
    for (const r of this.runners) if (r.state.recovery !== null) return r.state.recovery;
    return null;
  }

  /** True when every instance and retired instance has no process left. */
  get quiet(): boolean {
    return this.allRunners().every((r) => !hasProcess(r.state.state));
  }

  /** Being removed, or the emperor shuts down: nothing starts it again. */
  retired = false;

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
    if (retire) this.retired = true;
    this.wanted = false;
    this.roll = null;
    this.retireReplacement();
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
    this.rollError = null;
    // A replacement still starting runs the version before this one: it goes too.
    this.retireReplacement()?.dispatch({ type: 'stop' });
    this.roll = { queue: this.runners.map((r) => r.index), current: null, surge: (this.spec?.socket ?? null) !== null };
    this.advanceRoll();
  }

  /** Applies a changed file: see SPEC section 4 for which change does what. */
  applyChange(spec: VassalSpec, kind: ChangeKind, version: string): void {
    if (this.retired) return;
    queueMicrotask(() => this.logs.prune(spec));
    const first = this.spec === null;
    this.spec = spec;
    this.fileStatus = { file: spec.file, error: null, version };
    this.resize(spec.instances);
    // Supervision keys apply to running instances at once; a restart's new version comes with each replacement.
    if (kind !== 'restart') for (const r of this.allRunners()) this.startedFrom.set(r, spec);
    const live = this.runners.some((r) => hasProcess(r.state.state));
    const wants = this.wanted || spec.autostart;
    if (kind === 'restart' || first || (kind === 'touch' && spec.reloadSignal === null)) {
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
  markInvalid(file: string, error: string, version: string): void {
    this.fileStatus = { file, error, version };
  }

  /** Leaves its daemons running and stops watching them (the emperor shuts down). */
  release(): void {
    this.wanted = false;
    this.roll = null;
    this.retireReplacement();
    for (const r of this.allRunners()) r.release();
  }

  /** Kills every process group at once (second SIGINT). */
  killNow(): void {
    for (const r of this.allRunners()) r.killNow();
  }

  /** Drops timers and closes its socket; the vassal is gone. */
  dispose(): void {
    this.retireReplacement();
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
      const index = this.runners.length;
      let self: InstanceRunner | null = null;
      const runner = new InstanceRunner(index, this.host(() => self));
      self = runner;
      this.runners.push(runner);
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

  private advanceRoll(): void {
    const roll = this.roll;
    if (roll === null) return;
    if (this.replacement !== null) {
      if (!this.settleReplacement(this.replacement)) return;
    } else if (roll.current !== null) {
      const cur = this.runners[roll.current];
      const s = cur?.state.state;
      if (s === 'STARTING' || s === 'STOPPING') return;
      if (cur !== undefined && s !== 'RUNNING') {
        this.stopRoll(`instance ${cur.index} did not start (${cur.state.error ?? s})`, roll.queue.length);
        return;
      }
    }
    for (let idx = roll.queue.shift(); idx !== undefined; idx = roll.queue.shift()) {
      const r = this.runners[idx];
      if (r === undefined) continue;
      const s = r.state.state;
      roll.current = idx;
      if (roll.surge && (s === 'RUNNING' || s === 'STARTING')) {
        this.startReplacement(idx);
        return;
      }
      r.dispatch({ type: 'restart' });
      // Only a live instance is waited for; a stopped or failed one just starts.
      if (s === 'RUNNING' || s === 'STARTING' || s === 'STOPPING') {
        if (r.state.state !== 'RUNNING') return;
      }
    }
    this.roll = null;
  }

  private stopRoll(why: string, left: number): void {
    this.rollError = `rolling restart stopped: ${why}` +
      (left > 0 ? `; ${left} instance${left === 1 ? '' : 's'} still run${left === 1 ? 's' : ''} the previous version` : '');
    this.roll = null;
    this.services.events.write({ level: 'error', vassal: this.name, message: this.rollError });
  }

  // Starts a new process for instance `index` beside the old one; both take connections from the socket.
  private startReplacement(index: number): void {
    let self: InstanceRunner | null = null;
    const runner = new InstanceRunner(index, this.host(() => self));
    self = runner;
    this.surplus.add(runner);
    const spec = this.spec;
    const healthMs = spec?.healthCheck != null ? spec.healthRetries * (spec.healthInterval + spec.healthTimeout) : 0;
    const boundMs = (spec?.startSecs ?? 1000) + healthMs + REPLACEMENT_SLACK_MS;
    const deadline = setTimeout(() => {
      const r = this.replacement;
      if (r?.runner !== runner || runner.state.state === 'RUNNING') return;
      this.failReplacement(r, `not RUNNING ${(boundMs / 1000).toFixed(1)}s after its start (start-secs + health-retries x (health-interval + health-timeout) + 1s)${runner.state.error === null ? '' : `: ${runner.state.error}`}`);
    }, boundMs);
    deadline.unref();
    this.replacement = { index, runner, deadline };
    this.services.events.write({ level: 'info', vassal: this.name, instance: index, message: `rolling restart: starting a replacement beside pid ${this.runners[index]?.state.pid ?? '-'}` });
    runner.dispatch({ type: 'start' });
  }

  // True once the replacement took over its index (the roll goes on); false while it starts or after it failed.
  private settleReplacement(rep: Replacement): boolean {
    const s = rep.runner.state.state;
    if (s === 'STARTING') return false;
    if (s !== 'RUNNING') {
      this.failReplacement(rep, rep.runner.state.error ?? s);
      return false;
    }
    this.takeReplacement();
    const old = this.runners[rep.index];
    if (rep.index >= this.runners.length || old === undefined) {
      // Its index went away (fewer instances): it is not needed.
      this.retiring.add(rep.runner);
      rep.runner.dispatch({ type: 'stop' });
      return true;
    }
    this.runners[rep.index] = rep.runner;
    this.surplus.delete(rep.runner);
    this.surplus.add(old);
    this.retiring.add(old);
    this.services.events.write({
      level: 'info', vassal: this.name, instance: rep.index,
      message: `rolling restart: replacement pid ${rep.runner.state.pid ?? '-'} is RUNNING; stopping pid ${old.state.pid ?? '-'}`,
    });
    old.dispatch({ type: 'stop' });
    return true;
  }

  private failReplacement(rep: Replacement, why: string): void {
    this.retireReplacement()?.dispatch({ type: 'stop' });
    this.stopRoll(`the replacement of instance ${rep.index} failed (${why}); it was stopped`, (this.roll?.queue.length ?? 0) + 1);
  }

  // Ends the replacement in progress, if any: it takes over its index, or retires.
  private takeReplacement(): Replacement | null {
    const rep = this.replacement;
    if (rep !== null) clearTimeout(rep.deadline);
    this.replacement = null;
    return rep;
  }

  // A replacement that will not take over joins the retiring until its process is gone (the caller stops it).
  private retireReplacement(): InstanceRunner | null {
    const rep = this.takeReplacement();
    if (rep === null) return null;
    this.retiring.add(rep.runner);
    return rep.runner;
  }

  /** Writes what the log writers hold and closes them (the vassal is gone). */
  closeLogs(): Promise<void> {
    return this.logs.closeAll();
  }

  // One process for instance i: a plain child (watched through its group) or a smart-attached daemon.
  private spawnInstance(i: number, runner: InstanceRunner | null): Supervised | PendingSpawn | { error: string } {
    const spec = this.spec;
    if (spec === null) return { error: 'no usable vassal file' };
    if (runner !== null) this.startedFrom.set(runner, spec);
    const listen = this.socket.acquire(spec);
    if ('error' in listen) return listen;
    if (listen.ready === null) return this.spawnProcess(spec, i, listen.fd);
    // A socket just bound listens a moment later (a helper process): the spawn waits for it.
    let cancelled = false;
    const pending = listen.ready.then((why): Promise<Supervised | { error: string }> | Supervised | { error: string } => {
      if (why !== null) return { error: why };
      if (cancelled) return { error: 'stopped before its socket was listening' };
      // Closed meanwhile (the vassal went, its address changed): its number may be another file's now.
      if (listen.fd === null || !this.socket.holds(listen.fd)) return { error: 'its socket was closed before it listened' };
      const started = this.spawnProcess(spec, i, listen.fd);
      return 'pending' in started ? started.pending : started;
    }).catch((err: unknown) => ({ error: `cannot start: ${err instanceof Error ? err.message : String(err)}` }));
    return { pending, cancel: () => void (cancelled = true) };
  }

  // The process itself, with the socket's descriptor (null without `socket`).
  private spawnProcess(spec: VassalSpec, i: number, listenFd: number | null): Supervised | PendingSpawn | { error: string } {
    const s = this.services;
    const built = buildSpawnRequest(spec, i, s, spec.pidfile !== null);
    if ('error' in built) return built;
    const req = built.request;
    if (spec.uwsgiApp) req.argv[0] = s.uwsgi;
    if (listenFd !== null) {
      // Behind the shim a missing program would only show as exit 127: say why before the spawn.
      const argv0 = req.argv[0] ?? '';
      const why = argv0.includes('/') || req.env.PATH !== undefined ? explainUnrunnable(argv0, req.cwd, req.env.PATH) : null;
      if (why !== null) {
        built.closeFds();
        return { error: why };
      }
      handOverSocket(req, listenFd, this.name);
    }
    const as = runAs(req, spec.user, spec.group);
    if ('error' in as) {
      built.closeFds();
      return as;
    }
    // A daemon's output never goes through a pipe the emperor holds: it outlives the emperor.
    if (spec.pidfile !== null) {
      if (req.stdout.kind === 'pipe') req.stdout = { kind: 'null' };
      if (req.stderr.kind === 'pipe') req.stderr = { kind: 'null' };
      const started = startDaemon({
        name: this.name,
        pidfile: spec.pidfile,
        pidfileBy: spec.pidfileBy,
        request: req,
        spawner: s.spawner,
        records: s.records,
        startTimeoutMs: Math.max(spec.startSecs, DAEMON_MIN_START_MS),
        uid: as.uid,
        rights: vassalRights(spec),
        emperorPid: process.pid,
        guard: s.guardian,
        note: (message) => s.events.write({ level: message.startsWith('adopted') ? 'info' : 'warn', vassal: this.name, instance: i, message }),
        stopSignal: spec.stopSignal,
        stopTimeoutMs: spec.stopTimeout,
      });
      built.closeFds();
      return started;
    }
    const hint = (e: string): string => (spec.uwsgiApp && /not in PATH|does not exist/.test(e) ? `${e} (the uWSGI binary: install uwsgi or pass --uwsgi PATH)` : e);
    const writers = {
      stdout: built.logs.stdout === null ? null : this.logs.writer(built.logs.stdout, spec),
      stderr: built.logs.stderr === null ? null : this.logs.writer(built.logs.stderr, spec),
    };
    if (writers.stdout !== null || writers.stderr !== null) {
      return spawnPiped({
        request: req,
        spawner: s.spawner,
        writers,
        closeFds: () => built.closeFds(),
        explain: hint,
        started: (proc, feeds) => {
          attachOutput(proc, this.name, s, this.output, feeds);
          return this.supervised(proc.pid, proc.onExit.bind(proc));
        },
      });
    }
    const proc = s.spawner.spawn(req);
    built.closeFds();
    if ('error' in proc) {
      if (proc.reason === undefined) return { error: hint(proc.error) };
      return { pending: proc.reason.then((e) => ({ error: hint(e) })), cancel: () => {} };
    }
    attachOutput(proc, this.name, s, this.output, { stdout: null, stderr: null });
    return this.supervised(proc.pid, proc.onExit.bind(proc));
  }

  // A plain child, watched through its process group.
  private supervised(pid: number, onExit: Supervised['onExit']): Supervised {
    const s = this.services;
    return {
      pid,
      guarded: true,
      signal: (sig) => s.killGroup(pid, sig),
      signalMain: (sig) => {
        try {
          process.kill(pid, sig as NodeJS.Signals);
          return true;
        } catch {
          return false;
        }
      },
      alive: () => s.groupAlive(pid),
      onExit,
    };
  }

  private host(self: () => InstanceRunner | null): InstanceHost {
    const s = this.services;
    return {
      clock: s.clock,
      policy: () => policyOf(this.spec),
      spawn: (i) => this.spawnInstance(i, self()),
      trackGroup: (g) => s.guardian.track(g),
      untrackGroup: (g) => s.guardian.untrack(g),
      healthTarget: (i) => {
        const runner = self();
        const from = runner === null ? undefined : this.startedFrom.get(runner);
        const check = from !== undefined ? from.healthCheck : (this.spec?.healthCheck ?? null);
        return check === null ? null : expandInstance(check, i);
      },
      healthTiming: () => ({ intervalMs: this.spec?.healthInterval ?? 10000, timeoutMs: this.spec?.healthTimeout ?? 2000 }),
      probe: (t, ms) => s.probe(t, ms),
      changed: (i, before, after, note) => {
        const runner = self();
        if (runner !== null) this.changed(runner, before, after, note);
      },
    };
  }

  private changed(runner: InstanceRunner, before: Instance, after: Instance, note: string | null): void {
    const index = runner.index;
    const retired = this.retiring.has(runner);
    // STARTING is reported once the pid is known (or as the failure that follows).
    const spawning = after.state === 'STARTING' && after.pid === null;
    const gotPid = after.state === 'STARTING' && before.pid === null && after.pid !== null;
    if (((before.state !== after.state && !spawning) || gotPid || note !== null)) {
      this.services.events.write({
        level: after.state === 'FATAL' || after.state === 'BACKOFF' ? 'warn' : 'info',
        vassal: this.name,
        instance: index,
        state: after.state,
        pid: after.pid ?? before.pid,
        // The exit shown is the one that just happened, never an older one.
        code: after.lastExit !== before.lastExit ? (after.lastExit?.code ?? null) : null,
        signal: after.lastExit !== before.lastExit ? (after.lastExit?.signal ?? null) : null,
        message: note ?? undefined,
      });
    }
    if (retired) this.dropRetired();
    if (this.replacement?.runner === runner || (!retired && this.roll !== null && this.roll.current === index)) this.advanceRoll();
    if (this.quiet && this.goneWaiters.length > 0) {
      const waiters = this.goneWaiters;
      this.goneWaiters = [];
      for (const w of waiters) w();
    }
    this.services.stateChanged(this);
  }
}

/** The lifecycle policy of a spec (defaults while there is none). */
export function policyOf(spec: VassalSpec | null): LifecyclePolicy {
  return {
    restart: spec?.restart ?? 'always',
    exitCodes: spec?.exitCodes ?? [0],
    // A daemon is RUNNING once its pidfile names it; its start-secs bounds the wait for the pidfile.
    startSecs: spec?.pidfile != null ? 0 : (spec?.startSecs ?? 1000),
    startRetries: spec?.startRetries ?? 0,
    backoff: spec?.backoff ?? 1000,
    backoffMax: spec?.backoffMax ?? 60000,
    stopSignal: spec?.stopSignal ?? 'SIGTERM',
    stopTimeout: spec?.stopTimeout ?? 10000,
    healthCheck: (spec?.healthCheck ?? null) !== null,
    healthRetries: spec?.healthRetries ?? 3,
  };
}
