// Lifecycle scenarios on the real InstanceRunner: a fake clock advanced by hand, fake timers, spawns
// completed by hand, and every transition recorded with its effects.
import assert from 'node:assert/strict';
import type { Instance, LifecycleEvent, LifecyclePolicy, TimerName, Transition } from '../../src/core/lifecycle.ts';
import { InstanceRunner } from '../../src/runtime/instance-runner.ts';
import { FakeTime, FakeTimer } from './fakes/runtime-time.ts';
import { FakeSupervised, ManualSpawn } from './fakes/runtime-spawn.ts';

/** The policy scenarios start from: no health check, never give up, SIGINT to stop. */
export const POLICY: LifecyclePolicy = {
  restart: 'always',
  exitCodes: [0],
  startSecs: 1000,
  startRetries: 0,
  backoff: 1000,
  backoffMax: 60_000,
  stopSignal: 'SIGINT',
  stopTimeout: 10_000,
  healthCheck: false,
  healthRetries: 3,
};

/** A real runner driven by hand: `now` moves only with `advance`, spawns complete with `spawned`. */
export class Sim {
  readonly time = new FakeTime();
  readonly runner: InstanceRunner;
  spawns = 0;
  readonly signals: Array<{ at: number; signal: string }> = [];
  readonly notes: string[] = [];
  readonly transitions: Transition[] = [];
  /** what the process group answers once its leader exited. */
  groupAlive = false;
  private nextPid = 1000;
  private spawn: ManualSpawn | null = null;
  private proc: FakeSupervised | null = null;

  constructor(
    readonly policy: LifecyclePolicy,
    readonly random = 0.5,
  ) {
    this.runner = new InstanceRunner(0, {
      clock: this.time.clock,
      timers: this.time.timers,
      random: () => this.random,
      policy: () => this.policy,
      spawn: () => {
        this.spawns++;
        this.spawn = new ManualSpawn();
        return this.spawn;
      },
      trackGroup: () => {},
      untrackGroup: () => {},
      changed: () => {},
      healthTarget: () => null,
      healthTiming: () => ({ intervalMs: 10_000, timeoutMs: 2000 }),
      probe: () => Promise.resolve({ ok: true, message: 'unused' }),
      transitioned: (t) => {
        this.transitions.push(t);
        if (t.note !== null) this.notes.push(t.note);
      },
    });
  }

  /** Monotonic now (ms). */
  get now(): number {
    return this.time.now;
  }

  /** The lifecycle's view of the instance. */
  get inst(): Readonly<Instance> {
    return this.runner.state;
  }

  /** Pending lifecycle timers and their deadlines. */
  get timers(): Map<TimerName, number> {
    const out = new Map<TimerName, number>();
    for (const [name, h] of this.runner.pendingTimers) if (h instanceof FakeTimer) out.set(name, h.at);
    return out;
  }

  /**
   * Feeds one event and returns its transition. `spawned` completes the spawn in flight and
   * `exited` ends the current process, so they reach the runner the way real ones do.
   */
  send(ev: LifecycleEvent): Transition {
    const mark = this.transitions.length;
    if (ev.type === 'spawned' && this.spawn !== null) {
      const spawn = this.spawn;
      this.spawn = null;
      const proc = new FakeSupervised(ev.pid, this.time, () => this.groupAlive);
      const signal = proc.signal.bind(proc);
      proc.signal = (sig) => {
        signal(sig);
        this.signals.push({ at: this.now, signal: sig });
      };
      this.proc = proc;
      spawn.pending.settle(proc);
    } else if (ev.type === 'exited' && this.proc !== null && !this.proc.exited) {
      const saved = this.groupAlive;
      this.groupAlive = ev.groupAlive;
      try {
        this.proc.exit(ev.code, ev.signal);
      } finally {
        this.groupAlive = saved;
      }
    } else {
      this.runner.dispatch(ev);
    }
    const t = this.transitions[mark];
    assert.ok(t !== undefined, `${ev.type} reached the runner`);
    return t;
  }

  /** Moves the clock forward, firing each timer that falls due, in deadline order. */
  advance(ms: number): void {
    this.time.advance(ms);
  }

  spawned(): number {
    const pid = this.nextPid++;
    this.send({ type: 'spawned', pid });
    return pid;
  }

  exit(code: number | null, signal: string | null = null, groupAlive = false): Transition {
    return this.send({ type: 'exited', code, signal, groupAlive });
  }

  health(ok: boolean, message: string): Transition {
    return this.send({ type: 'health', ok, message });
  }

  overMemory(rss: number, limit: number): Transition {
    return this.send({ type: 'over-memory', rss, limit });
  }

  /** Starts and brings the instance to RUNNING through its start-secs timer (and one passing probe, with a health check). */
  bringUp(): void {
    this.send({ type: 'start' });
    this.spawned();
    this.advance(this.policy.startSecs);
    if (this.policy.healthCheck) this.health(true, 'HTTP 200');
    assert.equal(this.inst.state, 'RUNNING');
  }
}
