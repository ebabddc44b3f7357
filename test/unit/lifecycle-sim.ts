// A hand-driven runner for lifecycle scenario tests: a fake clock, timers as deadlines, effects recorded.
import assert from 'node:assert/strict';
import {
  initialInstance,
  transition,
  type Instance,
  type LifecycleEvent,
  type LifecyclePolicy,
  type TimerName,
  type Transition,
} from '../../src/core/lifecycle.ts';

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

/** A hand-driven runner: a `now` advanced by hand, timers as deadlines, effects recorded. */
export class Sim {
  now = 0;
  inst: Instance = initialInstance();
  readonly timers = new Map<TimerName, number>();
  spawns = 0;
  readonly signals: Array<{ at: number; signal: string }> = [];
  readonly notes: string[] = [];
  readonly transitions: Transition[] = [];
  /** what a timer event reports about the process group. */
  groupAlive = false;
  private nextPid = 1000;

  constructor(
    readonly policy: LifecyclePolicy,
    readonly random = 0.5,
  ) {}

  send(ev: LifecycleEvent): Transition {
    const t = transition(this.inst, ev, { now: this.now, random: this.random, policy: this.policy });
    this.inst = t.next;
    this.transitions.push(t);
    if (t.note !== null) this.notes.push(t.note);
    for (const e of t.effects) {
      switch (e.type) {
        case 'spawn':
          this.spawns++;
          break;
        case 'kill-group':
          this.signals.push({ at: this.now, signal: e.signal });
          break;
        case 'set-timer':
          this.timers.set(e.timer, this.now + e.ms);
          break;
        case 'clear-timer':
          this.timers.delete(e.timer);
          break;
      }
    }
    return t;
  }

  /** Moves the clock forward, firing each timer that falls due, in deadline order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: { timer: TimerName; at: number } | null = null;
      for (const [timer, at] of this.timers) if (at <= end && (due === null || at < due.at)) due = { timer, at };
      if (due === null) break;
      this.now = due.at;
      this.timers.delete(due.timer);
      this.send({ type: 'timer', timer: due.timer, groupAlive: this.groupAlive });
    }
    this.now = end;
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
