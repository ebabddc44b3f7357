// The sampling gate: every (phase, event) pair, the inputs unmutated, and the walk an idle fleet takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRESH_QUIET, QUIET_PHASES, quietStep, type FleetQuiet, type QuietAction, type QuietEvent, type QuietPhase } from '../../src/core/fleet-quiet.ts';

const M = 1000;
const at = (phase: QuietPhase): FleetQuiet => (phase === 'off' ? FRESH_QUIET : { phase, mark: M });
const read = (busy: boolean, uncovered: boolean, complete: boolean): QuietEvent => ({ type: 'read', busy, uncovered, complete });

// [from, event, phase after, mark after, action]
const TABLE: Array<[QuietPhase, string, QuietEvent, QuietPhase, number | null, QuietAction]> = [
  ['off', 'no counter', { type: 'tick', usec: null }, 'off', null, 'read-due'],
  ['off', 'a counter', { type: 'tick', usec: M }, 'moving', M, 'read-due'],
  ['off', 'read busy', read(true, false, true), 'off', null, 'none'],
  ['off', 'read idle complete', read(false, false, true), 'off', null, 'none'],
  ['off', 'read uncovered', read(false, true, true), 'off', null, 'none'],
  ['off', 'read idle partial', read(false, false, false), 'off', null, 'none'],
  ['moving', 'no counter', { type: 'tick', usec: null }, 'off', null, 'read-due'],
  ['moving', 'moved', { type: 'tick', usec: M + 1 }, 'moving', M + 1, 'read-due'],
  ['moving', 'stood', { type: 'tick', usec: M }, 'quieting', M, 'read-all'],
  ['moving', 'read busy', read(true, false, false), 'moving', M, 'none'],
  ['moving', 'read idle complete', read(false, false, true), 'settled', M, 'none'],
  ['moving', 'read uncovered', read(false, true, true), 'off', null, 'none'],
  ['moving', 'read idle partial', read(false, false, false), 'moving', M, 'none'],
  ['quieting', 'no counter', { type: 'tick', usec: null }, 'off', null, 'read-due'],
  ['quieting', 'moved', { type: 'tick', usec: M + 1 }, 'moving', M + 1, 'read-due'],
  ['quieting', 'stood', { type: 'tick', usec: M }, 'quieting', M, 'read-all'],
  ['quieting', 'read busy', read(true, false, true), 'moving', M, 'none'],
  ['quieting', 'read idle complete', read(false, false, true), 'settled', M, 'none'],
  ['quieting', 'read uncovered', read(false, true, true), 'off', null, 'none'],
  ['quieting', 'read idle partial', read(false, false, false), 'quieting', M, 'none'],
  ['settled', 'no counter', { type: 'tick', usec: null }, 'off', null, 'read-due'],
  ['settled', 'moved', { type: 'tick', usec: M + 1 }, 'moving', M + 1, 'read-due'],
  ['settled', 'stood', { type: 'tick', usec: M }, 'settled', M, 'skip'],
  ['settled', 'read busy', read(true, false, true), 'moving', M, 'none'],
  ['settled', 'read idle complete', read(false, false, true), 'settled', M, 'none'],
  ['settled', 'read uncovered', read(false, true, true), 'off', null, 'none'],
  ['settled', 'read idle partial', read(false, false, false), 'settled', M, 'none'],
];

test('every (phase, event) step, inputs unmutated', () => {
  for (const [from, label, ev, phase, mark, action] of TABLE) {
    const s = at(from);
    const before = JSON.stringify([s, ev]);
    const out = quietStep(s, ev);
    assert.deepEqual(out, { state: { phase, mark }, action }, `${from} + ${label}`);
    assert.equal(JSON.stringify([s, ev]), before, `${from} + ${label}: inputs unmutated`);
  }
});

test('the table covers every phase with every kind of event', () => {
  const kinds = ['no counter', 'moved', 'stood', 'read busy', 'read idle complete', 'read uncovered', 'read idle partial'];
  for (const p of QUIET_PHASES) {
    const labels = new Set(TABLE.filter((r) => r[0] === p).map((r) => r[1]));
    // From off the counter cannot stand (off keeps no mark): 'a counter' is its one tick with a number.
    const wanted = p === 'off' ? kinds.filter((k) => k !== 'moved' && k !== 'stood').concat('a counter') : kinds;
    for (const k of wanted) assert.ok(labels.has(k), `${p}: ${k} missing`);
  }
});

test('a fleet that goes idle: reads what is due while it moves, reads all once, then skips until it moves', () => {
  let s = FRESH_QUIET;
  const actions: QuietAction[] = [];
  const tick = (usec: number | null, busy = false): void => {
    const t = quietStep(s, { type: 'tick', usec });
    s = t.state;
    actions.push(t.action);
    if (t.action !== 'skip') s = quietStep(s, read(busy, false, t.action === 'read-all')).state;
  };
  tick(10, true);
  tick(20, true);
  tick(20);
  tick(20);
  tick(20);
  tick(21);
  tick(21);
  assert.deepEqual(actions, ['read-due', 'read-due', 'read-all', 'skip', 'skip', 'read-due', 'read-all']);
  assert.equal(s.phase, 'settled');
});
