// The idle backoff of sampling: every (state, outcome) step, and the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterRead, dueNow, FRESH_BACKOFF, MAX_IDLE_SKIP, type SampleBackoff } from '../../src/core/sample-backoff.ts';

test('a due instance is read; one sitting out counts down', () => {
  assert.deepEqual(dueNow(FRESH_BACKOFF), { due: true, next: FRESH_BACKOFF });
  assert.deepEqual(dueNow({ idleStreak: 2, skip: 3 }), { due: false, next: { idleStreak: 2, skip: 2 } });
  assert.deepEqual(dueNow({ idleStreak: 2, skip: 0 }), { due: true, next: { idleStreak: 2, skip: 0 } });
});

test('idle reads double the samples sat out up to the cap; a busy read resets', () => {
  const table: Array<[SampleBackoff, boolean, SampleBackoff]> = [
    [FRESH_BACKOFF, false, FRESH_BACKOFF],
    [FRESH_BACKOFF, true, { idleStreak: 1, skip: 1 }],
    [{ idleStreak: 1, skip: 0 }, true, { idleStreak: 2, skip: 3 }],
    [{ idleStreak: 2, skip: 0 }, true, { idleStreak: 3, skip: MAX_IDLE_SKIP }],
    [{ idleStreak: 30, skip: 0 }, true, { idleStreak: 31, skip: MAX_IDLE_SKIP }],
    [{ idleStreak: 30, skip: 0 }, false, FRESH_BACKOFF],
  ];
  for (const [from, idle, to] of table) assert.deepEqual(afterRead(from, idle), to, `${JSON.stringify(from)} idle=${idle}`);
});

test('an instance idle for good is read once in MAX_IDLE_SKIP + 1 samples', () => {
  let b = FRESH_BACKOFF;
  const reads: number[] = [];
  for (let i = 0; i < 60; i++) {
    const d = dueNow(b);
    b = d.next;
    if (d.due) {
      reads.push(i);
      b = afterRead(b, true);
    }
  }
  const gaps = reads.slice(1).map((r, i) => r - (reads[i] ?? 0));
  assert.deepEqual(gaps.slice(0, 3), [2, 4, MAX_IDLE_SKIP + 1]);
  assert.ok(gaps.slice(3).every((g) => g === MAX_IDLE_SKIP + 1));
});
