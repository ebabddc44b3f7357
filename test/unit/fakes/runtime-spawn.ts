// Fake spawns for InstanceRunner tests: a start that completes when the test says so, synchronously,
// and a supervised process whose exit and group the test controls.
import type { PendingSpawn, Supervised } from '../../../src/runtime/supervised.ts';
import type { FakeTime } from './runtime-time.ts';
import type { Failed } from '../../../src/core/errors.ts';

/**
 * A promise the test settles by hand, running its callbacks at once (not on a later microtask), so
 * a scenario stays synchronous: "the spawn completes now" is one statement.
 */
export class HandSettled<T> extends Promise<T> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  private readonly callbacks: Array<(value: T) => unknown> = [];

  constructor() {
    super(() => {});
  }

  override then<R1 = T, R2 = never>(onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null): Promise<R1 | R2> {
    if (onFulfilled) this.callbacks.push(onFulfilled);
    return new Promise<R1 | R2>(() => {});
  }

  /** Runs every callback with `value`, now. */
  settle(value: T): void {
    for (const cb of this.callbacks.splice(0)) cb(value);
  }
}

/** A pending spawn the test completes (`settle`) and whose cancels it counts. */
export class ManualSpawn implements PendingSpawn {
  readonly pending = new HandSettled<Supervised | Failed>();
  cancels = 0;
  cancel(): void {
    this.cancels++;
  }
}

/** One supervised process the test ends: its leader exits, its group may live on. */
export class FakeSupervised implements Supervised {
  readonly guarded = true;
  exited = false;
  /** whether something of its group is alive once the leader exited. */
  groupAlive: () => boolean;
  readonly signals: Array<{ at: number; signal: string; main: boolean }> = [];
  private readonly listeners: Array<(code: number | null, signal: string | null) => void> = [];

  constructor(
    readonly pid: number,
    private readonly time: FakeTime,
    groupAlive: () => boolean = () => false,
  ) {
    this.groupAlive = groupAlive;
  }

  signal(sig: string): void {
    this.signals.push({ at: this.time.now, signal: sig, main: false });
  }

  signalMain(sig: string): boolean {
    if (this.exited) return false;
    this.signals.push({ at: this.time.now, signal: sig, main: true });
    return true;
  }

  alive(): boolean {
    return !this.exited || this.groupAlive();
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.listeners.push(listener);
  }

  /** The leader exits. */
  exit(code: number | null, signal: string | null = null): void {
    this.exited = true;
    for (const l of this.listeners) l(code, signal);
  }
}
