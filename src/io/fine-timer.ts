// Wake-ups finer than a millisecond, for the rests of busy log pipes (libuv's timers count whole
// milliseconds, and a fast writer fills a 1 MiB pipe in less): one timerfd of the native helper for
// all of them, armed for the nearest deadline. Without it (or with an older helper), setTimeout.
import { nativeHelper, type NativeHelper } from './native.ts';

/** One-shot timeouts in fractions of a millisecond; `fine` says whether they really are finer than 1 ms. */
export interface FineTimers {
  readonly fine: boolean;
  /** calls `fn` once after `ms`; returns what cancels it. */
  timeout(ms: number, fn: () => void): () => void;
}

interface Waiter {
  at: number;
  fn: () => void;
}

/** Timers over the helper's rest timer (restTimer/restTimerArm), or over setTimeout when it has none. */
export function fineTimers(helper: Pick<NativeHelper, 'restTimer' | 'restTimerArm'> | null, now: () => number = () => performance.now()): FineTimers {
  // Deadlines in order (few at once: only the pipes that rest now) and the one the timer is armed for.
  const waiting: Waiter[] = [];
  let armedAt = Infinity;
  const fire = (): void => {
    armedAt = Infinity;
    // The timerfd expires at the deadline or after it: everything due by then (a few µs of slack) runs.
    const by = now() + 0.005;
    while (waiting.length > 0 && (waiting[0] as Waiter).at <= by) (waiting.shift() as Waiter).fn();
    rearm();
  };
  const arm = helper?.restTimerArm?.bind(helper);
  const made = arm !== undefined && helper?.restTimer !== undefined && helper.restTimer(fire) === 0;
  const rearm = (): void => {
    if (!made || arm === undefined) return;
    const next = waiting[0];
    if (next === undefined) {
      if (armedAt !== Infinity) arm(0);
      armedAt = Infinity;
      return;
    }
    if (next.at === armedAt) return;
    armedAt = next.at;
    arm(Math.max(1, Math.ceil((next.at - now()) * 1000)));
  };
  return {
    fine: made,
    timeout(ms, fn) {
      if (!made) {
        const handle = setTimeout(fn, ms);
        return () => clearTimeout(handle);
      }
      const w: Waiter = { at: now() + ms, fn };
      let i = waiting.length;
      while (i > 0 && (waiting[i - 1] as Waiter).at > w.at) i--;
      waiting.splice(i, 0, w);
      rearm();
      return () => {
        const k = waiting.indexOf(w);
        if (k < 0) return;
        waiting.splice(k, 1);
        rearm();
      };
    },
  };
}

let shared: FineTimers | null = null;

/** The emperor's one set of fine timers (the helper's timer is made once, on first use). */
export function restTimers(): FineTimers {
  if (shared === null) {
    const h = nativeHelper();
    shared = fineTimers(typeof h === 'string' ? null : h);
  }
  return shared;
}
