import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_JITTER, backoffDelay, type BackoffPolicy } from '../../src/core/backoff.ts';

const DEFAULT: BackoffPolicy = { base: 1000, max: 60_000 };
// The largest random in [0, 1): the top of the jitter range.
const TOP = 1 - Number.EPSILON;

test('jitter is +-10%', () => {
  assert.equal(BACKOFF_JITTER, 0.1);
});

test('failures -> delay with base 1s, max 60s, at random 0, 0.5 and ~1', () => {
  // [failures, random 0 (-10%), random 0.5 (nominal), random ~1 (+10%, capped)]
  const table: Array<[number, number, number, number]> = [
    [1, 900, 1000, 1100],
    [2, 1800, 2000, 2200],
    [3, 3600, 4000, 4400],
    [4, 7200, 8000, 8800],
    [5, 14_400, 16_000, 17_600],
    [6, 28_800, 32_000, 35_200],
    [7, 54_000, 60_000, 60_000],
    [8, 54_000, 60_000, 60_000],
    [20, 54_000, 60_000, 60_000],
  ];
  for (const [failures, low, mid, high] of table) {
    assert.equal(backoffDelay(failures, DEFAULT, 0), low, `failures ${failures}, random 0`);
    assert.equal(backoffDelay(failures, DEFAULT, 0.5), mid, `failures ${failures}, random 0.5`);
    assert.equal(backoffDelay(failures, DEFAULT, TOP), high, `failures ${failures}, random ~1`);
  }
});

test('the nominal delay doubles with each failure until the cap', () => {
  const policy: BackoffPolicy = { base: 250, max: 1_000_000 };
  let previous = backoffDelay(1, policy, 0.5);
  assert.equal(previous, 250);
  for (let n = 2; n <= 12; n++) {
    const d = backoffDelay(n, policy, 0.5);
    assert.equal(d, Math.min(policy.max, previous * 2), `failures ${n}`);
    previous = d;
  }
  assert.equal(previous, 512_000);
  assert.equal(backoffDelay(13, policy, 0.5), 1_000_000);
  assert.equal(backoffDelay(14, policy, 0.5), 1_000_000);
});

test('the cap is never exceeded, jitter or not, and the delay is never negative', () => {
  const policies: BackoffPolicy[] = [DEFAULT, { base: 1000, max: 1000 }, { base: 5000, max: 3000 }, { base: 1, max: 7 }, { base: 0, max: 0 }];
  const randoms = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, TOP];
  for (const policy of policies) {
    for (let n = 0; n <= 80; n++) {
      for (const r of randoms) {
        const d = backoffDelay(n, policy, r);
        assert.ok(d <= policy.max, `base ${policy.base} max ${policy.max} failures ${n} random ${r}: ${d}`);
        assert.ok(d >= 0, `failures ${n} random ${r}: ${d}`);
        assert.ok(Number.isInteger(d), `failures ${n} random ${r}: ${d}`);
      }
    }
  }
});

test('a base above the cap starts at the cap, jittered downwards only', () => {
  const policy: BackoffPolicy = { base: 5000, max: 3000 };
  assert.equal(backoffDelay(1, policy, 0), 2700);
  assert.equal(backoffDelay(1, policy, 0.5), 3000);
  assert.equal(backoffDelay(1, policy, TOP), 3000);
});

test('failures 0, negative or fractional count as the first failure', () => {
  for (const failures of [0, -1, -1000, 0.5, 1.9]) {
    assert.equal(backoffDelay(failures, DEFAULT, 0), 900, `failures ${failures}`);
    assert.equal(backoffDelay(failures, DEFAULT, 0.5), 1000, `failures ${failures}`);
    assert.equal(backoffDelay(failures, DEFAULT, TOP), 1100, `failures ${failures}`);
  }
  assert.equal(backoffDelay(2.9, DEFAULT, 0.5), 2000);
});

test('huge failure counts stay finite and capped', () => {
  for (const failures of [53, 54, 1024, 1e6, 1e9, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Infinity]) {
    assert.equal(backoffDelay(failures, DEFAULT, 0), 54_000, `failures ${failures}, random 0`);
    assert.equal(backoffDelay(failures, DEFAULT, 0.5), 60_000, `failures ${failures}, random 0.5`);
    assert.equal(backoffDelay(failures, DEFAULT, TOP), 60_000, `failures ${failures}, random ~1`);
  }
  // A max beyond 2^52 * base still caps the exponent, so the result stays finite.
  const wide: BackoffPolicy = { base: 1, max: Number.MAX_VALUE };
  assert.equal(backoffDelay(1e9, wide, 0.5), 2 ** 52);
});
