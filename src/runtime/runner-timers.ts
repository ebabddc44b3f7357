// An instance's lifecycle timers by name, over the Timers port: one pending timer per name at most.
import type { TimerName } from '../core/lifecycle.ts';
import type { TimerHandle, Timers } from './ports.ts';

/** The named timers of one instance runner. */
export class RunnerTimers {
  private readonly pending = new Map<TimerName, TimerHandle>();

  constructor(private readonly timers: Timers) {}

  /** (Re)arms `name` to call `fire` after `ms`. */
  set(name: TimerName, ms: number, fire: () => void): void {
    this.clear(name);
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(name);
      fire();
    }, ms);
    this.pending.set(name, handle);
  }

  /** Drops `name` if it is pending. */
  clear(name: TimerName): void {
    const t = this.pending.get(name);
    if (t !== undefined) this.timers.clearTimeout(t);
    this.pending.delete(name);
  }

  /** Drops every timer. */
  clearAll(): void {
    for (const t of this.pending.values()) this.timers.clearTimeout(t);
    this.pending.clear();
  }

  /** The pending timers and their handles (tests read a fake handle's deadline). */
  get handles(): ReadonlyMap<TimerName, TimerHandle> {
    return this.pending;
  }
}
