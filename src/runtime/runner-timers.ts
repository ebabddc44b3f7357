// An instance's lifecycle timers by name, over the Timers port: one pending timer per name at most.
import type { TimerName } from '../core/lifecycle.ts';
import type { TimerHandle, Timers } from './ports.ts';

const NONE: ReadonlyMap<TimerName, TimerHandle> = new Map();

/** The named timers of one instance runner. */
export class RunnerTimers {
  /** null while none is pending, as for a RUNNING instance: a Map is some 280 bytes, per instance. */
  private pending: Map<TimerName, TimerHandle> | null = null;

  constructor(private readonly timers: Timers) {}

  /** (Re)arms `name` to call `fire` after `ms`. */
  set(name: TimerName, ms: number, fire: () => void): void {
    this.clear(name);
    const handle = this.timers.setTimeout(() => {
      this.drop(name);
      fire();
    }, ms);
    (this.pending ??= new Map()).set(name, handle);
  }

  /** Drops `name` if it is pending. */
  clear(name: TimerName): void {
    const t = this.pending?.get(name);
    if (t !== undefined) this.timers.clearTimeout(t);
    this.drop(name);
  }

  /** Drops every timer. */
  clearAll(): void {
    for (const t of this.pending?.values() ?? []) this.timers.clearTimeout(t);
    this.pending = null;
  }

  /** The pending timers and their handles (tests read a fake handle's deadline). */
  get handles(): ReadonlyMap<TimerName, TimerHandle> {
    return this.pending ?? NONE;
  }

  private drop(name: TimerName): void {
    this.pending?.delete(name);
    if (this.pending?.size === 0) this.pending = null;
  }
}
