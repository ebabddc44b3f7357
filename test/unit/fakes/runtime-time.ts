// Fake time for runtime unit tests: a monotonic clock advanced by hand, timers as deadlines fired in
// order as it moves, wall time a fixed offset from it, and event-loop turns run on demand.
import type { Clock } from '../../../src/runtime/clock.ts';
import type { TimePorts, TimerHandle, Timers } from '../../../src/runtime/ports.ts';

/** A pending fake timer: its deadline is readable (`at`). */
export class FakeTimer implements TimerHandle {
  unrefed = false;
  constructor(
    readonly id: number,
    public at: number,
    readonly fn: () => void,
    readonly every: number | null,
  ) {}

  unref(): this {
    this.unrefed = true;
    return this;
  }
}

/** Wall-clock milliseconds at monotonic 0. */
export const WALL_EPOCH_MS = 1_700_000_000_000;

/** Time ports whose clock moves only when `advance` is called. */
export class FakeTime implements TimePorts {
  now = 0;
  private nextId = 1;
  private readonly pending = new Map<number, FakeTimer>();
  private readonly turns: Array<() => void> = [];

  readonly clock: Clock = {
    now: () => this.now,
    unixSeconds: (m) => (WALL_EPOCH_MS + m) / 1000,
  };

  readonly timers: Timers = {
    setTimeout: (fn, ms) => this.add(fn, ms, null),
    clearTimeout: (h) => this.remove(h),
    setInterval: (fn, ms) => this.add(fn, ms, Math.max(1, ms)),
    clearInterval: (h) => this.remove(h),
  };

  wallMs(): number {
    return WALL_EPOCH_MS + this.now;
  }

  /** Runs `fn` on the next `runTurns` (the nextTurn port: setImmediate in production). */
  nextTurn = (fn: () => void): void => {
    this.turns.push(fn);
  };

  /** Runs queued event-loop turns, and those they queue, until none is left. */
  runTurns(): void {
    for (let fn = this.turns.shift(); fn !== undefined; fn = this.turns.shift()) fn();
  }

  /** Runs only the turns queued now (one event-loop turn); returns how many ran. */
  runTurn(): number {
    const now = this.turns.splice(0);
    for (const fn of now) fn();
    return now.length;
  }

  /** The timers pending now. */
  get timersPending(): FakeTimer[] {
    return [...this.pending.values()];
  }

  /** Moves the clock forward by `ms`, firing each timer that falls due, in deadline order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: FakeTimer | null = null;
      for (const t of this.pending.values()) if (t.at <= end && (due === null || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
      if (due === null) break;
      this.now = Math.max(this.now, due.at);
      if (due.every === null) this.pending.delete(due.id);
      else due.at += due.every;
      due.fn();
    }
    this.now = end;
  }

  private add(fn: () => void, ms: number, every: number | null): FakeTimer {
    const t = new FakeTimer(this.nextId++, this.now + Math.max(0, ms), fn, every);
    this.pending.set(t.id, t);
    return t;
  }

  private remove(h: TimerHandle | null | undefined): void {
    if (h instanceof FakeTimer) this.pending.delete(h.id);
  }
}

/** Randomness that always draws `value` (backoff jitter in tests). */
export function fixedRandom(value: number): () => number {
  return () => value;
}

/** Lets pending promise callbacks run (a real event-loop turn; test code only). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances fake time in steps, letting promises run between steps, until `p` settles. */
export async function settle<T>(p: Promise<T>, time: FakeTime, stepMs = 10, maxSteps = 5000): Promise<T> {
  let done = false;
  const watched = p.finally(() => void (done = true));
  for (let i = 0; i < maxSteps && !done; i++) {
    await flush();
    if (done) break;
    time.runTurns();
    time.advance(stepMs);
  }
  if (!done) throw new Error(`not settled after ${maxSteps * stepMs} ms of fake time`);
  return watched;
}
