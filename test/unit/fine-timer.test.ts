// Fine timers: one native timer armed for the nearest deadline, due ones run in order, cancels re-arm;
// setTimeout without the helper; and the real timerfd never fires early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fineTimers } from '../../src/io/fine-timer.ts';
import { nativeHelper } from '../../src/io/native.ts';

// A helper whose timer is driven by hand, on a clock moved by hand.
function fakeHelper(): { clock: { t: number }; armed: number[]; expire: () => void; helper: { restTimer(cb: () => void): number; restTimerArm(us: number): number } } {
  const clock = { t: 100 };
  const armed: number[] = [];
  let callback: (() => void) | null = null;
  return {
    clock,
    armed,
    expire: () => callback?.(),
    helper: {
      restTimer: (cb) => {
        callback = cb;
        return 0;
      },
      restTimerArm: (us) => {
        armed.push(us);
        return 0;
      },
    },
  };
}

test('fine timers: armed for the nearest deadline in microseconds; due ones run in order; the rest re-arm', () => {
  const f = fakeHelper();
  const timers = fineTimers(f.helper, () => f.clock.t);
  assert.equal(timers.fine, true);
  const ran: string[] = [];
  timers.timeout(0.5, () => ran.push('b'));
  timers.timeout(0.25, () => ran.push('a'));
  timers.timeout(2, () => ran.push('c'));
  assert.deepEqual(f.armed, [500, 250], 'armed for the first, then for the nearer one');
  f.clock.t += 0.75;
  f.expire();
  assert.deepEqual(ran, ['a', 'b']);
  assert.deepEqual(f.armed.slice(2), [1250], 'then for what is left');
  f.clock.t += 1.25;
  f.expire();
  assert.deepEqual(ran, ['a', 'b', 'c']);
  assert.equal(f.armed.length, 3, 'nothing left: not armed again');
});

test('fine timers: a cancelled timeout never runs; cancelling the last one disarms the timer', () => {
  const f = fakeHelper();
  const timers = fineTimers(f.helper, () => f.clock.t);
  const ran: string[] = [];
  const cancelA = timers.timeout(0.3, () => ran.push('a'));
  const cancelB = timers.timeout(0.6, () => ran.push('b'));
  cancelA();
  assert.deepEqual(f.armed, [300, 600], 're-armed for the next one');
  cancelB();
  assert.deepEqual(f.armed, [300, 600, 0], 'disarmed');
  cancelB();
  f.clock.t += 1;
  f.expire();
  assert.deepEqual(ran, []);
});

test('fine timers without the helper (or with an older one): setTimeout, not fine', async () => {
  for (const helper of [null, {}]) {
    const timers = fineTimers(helper);
    assert.equal(timers.fine, false);
    const ran = await new Promise<boolean>((resolve) => timers.timeout(0.5, () => resolve(true)));
    assert.equal(ran, true);
    let late = false;
    timers.timeout(1, () => (late = true))();
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(late, false, 'cancelled');
  }
});

test('the native rest timer: timeouts under a millisecond run in order, none before its deadline', async (t) => {
  const h = nativeHelper();
  if (typeof h === 'string' || h.restTimer === undefined) return t.skip('no native helper with restTimer');
  // The process's one timer may be made already (by another test's pipes): a second fails with EEXIST.
  const timers = fineTimers(h);
  if (!timers.fine) return t.skip('the rest timer is in use in this process');
  const t0 = performance.now();
  const seen = await new Promise<Array<[string, number]>>((resolve) => {
    const out: Array<[string, number]> = [];
    const note = (name: string): void => {
      out.push([name, performance.now() - t0]);
      if (out.length === 3) resolve(out);
    };
    timers.timeout(0.6, () => note('c'));
    timers.timeout(0.2, () => note('a'));
    timers.timeout(0.4, () => note('b'));
  });
  assert.deepEqual(
    seen.map(([n]) => n),
    ['a', 'b', 'c'],
  );
  const due: Record<string, number> = { a: 0.2, b: 0.4, c: 0.6 };
  for (const [n, at] of seen) assert.ok(at >= (due[n] ?? 0) - 0.01, `${n} ran at ${at} ms, not before its deadline`);
});
