// Carries out the lifecycle's effects for one instance: spawns, signals, timers, and feeds back events.
import { transition, initialInstance } from '../core/lifecycle.ts';
import type { Effect, Instance, LifecycleEvent, LifecyclePolicy, TimerName, Transition } from '../core/lifecycle.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import type { Clock } from './clock.ts';
import { HealthMonitor } from './health-monitor.ts';
import type { ProbeResult } from '../io/health-probe.ts';
import type { Random, TimerHandle, Timers } from './ports.ts';
import { RunnerTimers } from './runner-timers.ts';
import { RunnerProcess } from './runner-process.ts';
import type { Failed } from '../core/errors.ts';
import { listenReadiness } from './readiness-link.ts';

/** What a runner needs from its surroundings; the vassal supplies it. */
export interface InstanceHost {
  clock: Clock;
  /** lifecycle timers and group polls: never the global setTimeout. */
  timers: Timers;
  /** backoff jitter. */
  random: Random;
  policy(): LifecyclePolicy;
  /** starts the process for this instance (now, or later for a daemon), or says why it cannot. */
  spawn(index: number): Supervised | PendingSpawn | Failed;
  /** a process group the guardian must kill should the emperor die, or no longer. */
  trackGroup(pgid: number): void;
  untrackGroup(pgid: number): void;
  /** called after every transition that changed something. */
  changed(index: number, before: Instance, after: Instance, note: string | null): void;
  /** this instance's health check target (expanded), or null without one. */
  healthTarget(index: number): string | null;
  healthTiming(): { intervalMs: number; timeoutMs: number };
  probe(target: string, timeoutMs: number): Promise<ProbeResult>;
  /** sees every transition with its effects (scenario tests); optional. */
  transitioned?(t: Transition): void;
}

/** Resources the instance used at the last sample. */
export interface Usage {
  rssBytes: number;
  cpuPercent: number | null;
}

/** One instance of a vassal: its lifecycle state and the resources that state implies. */
export class InstanceRunner {
  private inst: Instance = initialInstance();
  private readonly timers: RunnerTimers;
  private proc: RunnerProcess | null = null;
  /** events raised while one is handled; null while none waits (an empty array is 32 bytes an instance). */
  private queue: LifecycleEvent[] | null = null;
  private busy = false;
  private pending: PendingSpawn | null = null;
  /** made on the first process with a health check: most instances never have one. */
  private health: HealthMonitor | null = null;
  // The last sample of its process group as two numbers (an object each was 40 bytes an instance); rss -1: none.
  private rssBytes = -1;
  private cpuPercent: number | null = null;

  constructor(
    readonly index: number,
    private readonly host: InstanceHost,
  ) {
    this.timers = new RunnerTimers(host.timers);
  }

  /** The process group being supervised, if any (for sampling). */
  get pgid(): number | null {
    return this.proc !== null && !this.proc.exited ? this.proc.sup.pid : null;
  }

  /** The last sample of its process group, while it has one. */
  get usage(): Usage | null {
    return this.rssBytes < 0 ? null : { rssBytes: this.rssBytes, cpuPercent: this.cpuPercent };
  }

  set usage(u: Usage | null) {
    this.rssBytes = u === null ? -1 : u.rssBytes;
    this.cpuPercent = u === null ? null : u.cpuPercent;
  }

  /** The lifecycle's view of this instance. */
  get state(): Readonly<Instance> {
    return this.inst;
  }

  /**
   * Takes over the history of the instance this one replaces (a rolling replacement with `socket`):
   * its restarts add to this one's, and its last exit shows until this one has its own, so the
   * vassal's restart count never goes down with a deploy.
   */
  inherit(from: InstanceRunner): void {
    this.inst = { ...this.inst, restarts: this.inst.restarts + from.inst.restarts, lastExit: this.inst.lastExit ?? from.inst.lastExit };
  }

  /** Feeds one event; events raised while handling it are queued, never re-entered. */
  dispatch(ev: LifecycleEvent): void {
    (this.queue ??= []).push(ev);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue?.shift()) this.step(next);
    } finally {
      this.busy = false;
      if (this.queue?.length === 0) this.queue = null;
    }
  }

  /** Sends a signal to this instance's main process only (a reload signal); never to a reused pid. */
  signalProcess(signal: string): boolean {
    if (this.inst.pid === null || this.proc === null || this.proc.exited) return false;
    return this.proc.sup.signalMain(signal);
  }

  /**
   * Kills the whole group at once: the second SIGINT, or the last resort. A child still being spawned (on the
   * thread pool) is killed once it exists; the promise settles then, so the emperor can wait before it exits.
   */
  killNow(): Promise<void> {
    if (this.proc !== null && this.proc.sup.guarded) this.proc.sup.signal('SIGKILL');
    const pending = this.pending;
    if (pending === null) return Promise.resolve();
    pending.cancel();
    return pending.pending.then((r) => {
      if (!('error' in r) && r.guarded) r.signal('SIGKILL');
    });
  }

  /** Settles once a spawn on the thread pool, if one is under way, has its answer (a process or a failure). */
  spawnSettled(): Promise<void> {
    return this.pending === null ? Promise.resolve() : this.pending.pending.then(() => undefined);
  }

  /** Leaves a daemon running and stops watching it: the emperor goes away, the daemon lives on. */
  release(): void {
    this.proc?.sup.release?.();
    this.pending?.cancel(false);
    this.dispose();
  }

  /** Whether this instance runs a daemon that outlives the emperor. */
  get detachable(): boolean {
    return this.proc !== null && !this.proc.exited && !this.proc.sup.guarded;
  }

  /** Drops every timer (the emperor is going away). */
  dispose(): void {
    this.timers.clearAll();
    this.health?.stop();
  }

  /** The lifecycle timers pending now, by name. */
  get pendingTimers(): ReadonlyMap<TimerName, TimerHandle> {
    return this.timers.handles;
  }

  private step(ev: LifecycleEvent): void {
    const before = this.inst;
    const t = transition(before, ev, { now: this.host.clock.now(), random: this.host.random(), policy: this.host.policy() });
    this.inst = t.next;
    this.host.transitioned?.(t);
    for (const effect of t.effects) this.apply(effect);
    // A stop while a daemon is still being launched ends the launch.
    if (this.pending !== null && this.inst.state === 'STOPPING') this.pending.cancel();
    this.syncHealth(before);
    if (this.inst.pid === null) this.usage = null;
    if (t.next !== before || t.note !== null) this.host.changed(this.index, before, this.inst, t.note);
  }

  // Probing runs while a process is STARTING or RUNNING; a new process starts a new series.
  private syncHealth(before: Instance): void {
    const live = this.inst.pid !== null && (this.inst.state === 'STARTING' || this.inst.state === 'RUNNING');
    if (!live || this.host.healthTarget(this.index) === null) {
      this.health?.stop();
      return;
    }
    const health = (this.health ??= this.healthMonitor());
    if (!health.active || before.pid !== this.inst.pid) health.start();
  }

  private healthMonitor(): HealthMonitor {
    const host = this.host;
    return new HealthMonitor({
      timers: host.timers,
      target: () => host.healthTarget(this.index),
      timing: () => host.healthTiming(),
      probe: (t, ms) => host.probe(t, ms),
      starting: () => this.inst.state === 'STARTING',
      report: (r) => this.dispatch({ type: 'health', ok: r.ok, message: r.message }),
    });
  }

  private apply(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        return this.spawn();
      case 'kill-group':
        if (this.proc === null) return;
        this.proc.sup.signal(effect.signal);
        if (this.proc.exited && effect.signal === 'SIGKILL') this.proc.untrackWhenGone();
        return;
      case 'set-timer': {
        const timer = effect.timer;
        // Only the group poll needs to know whether the group lives: spare the others the check.
        return this.timers.set(timer, effect.ms, () => this.dispatch({ type: 'timer', timer, groupAlive: timer === 'group-poll' && (this.proc?.groupAlive() ?? false) }));
      }
      case 'clear-timer':
        return this.timers.clear(effect.timer);
    }
  }

  private spawn(): void {
    const result = this.host.spawn(this.index);
    if ('error' in result) {
      (this.queue ??= []).push({ type: 'spawn-failed', error: result.error });
      return;
    }
    if ('pending' in result) {
      this.pending = result;
      void result.pending.then((r) => {
        if (this.pending !== result) return;
        this.pending = null;
        if ('error' in r) this.dispatch({ type: 'spawn-failed', error: r.error });
        else {
          this.attach(r);
          this.dispatch({ type: 'spawned', pid: r.pid });
        }
      });
      return;
    }
    this.attach(result);
    (this.queue ??= []).push({ type: 'spawned', pid: result.pid });
  }

  /** A process's leader exited (its RunnerProcess tells): an event, unless another process replaced it. */
  processExited(record: RunnerProcess, code: number | null, signal: string | null, groupAlive: boolean, reason?: string): void {
    if (this.proc === record) this.dispatch({ type: 'exited', code, signal, groupAlive, ...(reason === undefined ? {} : { reason }) });
  }

  private attach(sup: Supervised): void {
    this.proc = new RunnerProcess(sup, this.host, this);
    // sd_notify messages, uWSGI Emperor bytes and ready log lines of this process come in as lifecycle events.
    listenReadiness(sup, (ev) => this.dispatch(ev));
  }
}
