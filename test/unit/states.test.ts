import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANCE_STATES, VASSAL_STATES, hasProcess, worstState, type InstanceStateName } from '../../src/core/states.ts';

// Worst first, as the stats and `emperorctl status` must rank them.
const ORDER: readonly InstanceStateName[] = ['FATAL', 'BACKOFF', 'STOPPING', 'STARTING', 'EXITED', 'STOPPED', 'RUNNING'];

test('worstState of nothing is STOPPED', () => {
  assert.equal(worstState([]), 'STOPPED');
});

test('worstState of one state is that state', () => {
  for (const s of INSTANCE_STATES) assert.equal(worstState([s]), s);
});

test('worstState ranks FATAL > BACKOFF > STOPPING > STARTING > EXITED > STOPPED > RUNNING, either order', () => {
  for (let i = 0; i < ORDER.length; i++) {
    for (let j = i + 1; j < ORDER.length; j++) {
      const worse = ORDER[i]!;
      const better = ORDER[j]!;
      assert.equal(worstState([worse, better]), worse, `${worse} vs ${better}`);
      assert.equal(worstState([better, worse]), worse, `${better} vs ${worse}`);
    }
  }
});

test('worstState picks the worst among many instances and accepts any iterable', () => {
  const cases: Array<[InstanceStateName[], InstanceStateName]> = [
    [['RUNNING', 'RUNNING', 'RUNNING'], 'RUNNING'],
    [['RUNNING', 'STARTING', 'RUNNING'], 'STARTING'],
    [['RUNNING', 'BACKOFF', 'STOPPING'], 'BACKOFF'],
    [['STOPPED', 'EXITED'], 'EXITED'],
    [['STOPPED', 'RUNNING'], 'STOPPED'],
    [['RUNNING', 'STOPPED', 'FATAL', 'BACKOFF'], 'FATAL'],
  ];
  for (const [states, worst] of cases) {
    assert.equal(worstState(states), worst, states.join(','));
    assert.equal(worstState(new Set(states)), worst, `Set(${states.join(',')})`);
    assert.equal(worstState(states.values()), worst, `iterator(${states.join(',')})`);
  }
});

test('every instance state has a rank, and the lists are complete', () => {
  assert.deepEqual([...INSTANCE_STATES].sort(), [...ORDER].sort());
  assert.deepEqual(VASSAL_STATES, [...INSTANCE_STATES, 'INVALID']);
});

test('hasProcess is true only while a process may be alive', () => {
  const expected: Record<InstanceStateName, boolean> = {
    STOPPED: false,
    STARTING: true,
    RUNNING: true,
    BACKOFF: false,
    STOPPING: true,
    EXITED: false,
    FATAL: false,
  };
  for (const s of INSTANCE_STATES) assert.equal(hasProcess(s), expected[s], s);
});
