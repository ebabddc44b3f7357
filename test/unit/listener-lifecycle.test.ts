// The event listener's transition function: every (state, event) pair, as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FIRST_DELAY_MS,
  LISTENER_EVENTS,
  LISTENER_STATES,
  MAX_DELAY_MS,
  STABLE_MS,
  listenerTransition,
  type ListenerEvent,
  type ListenerMachine,
  type ListenerState,
} from '../../src/supervisor/listener-lifecycle.ts';

const EVENTS: Record<ListenerEvent['type'], ListenerEvent> = {
  start: { type: 'start' },
  spawned: { type: 'spawned' },
  'spawn-failed': { type: 'spawn-failed', error: 'no such file' },
  ready: { type: 'ready' },
  sent: { type: 'sent' },
  result: { type: 'result', ok: false },
  broken: { type: 'broken', why: 'junk' },
  exited: { type: 'exited', how: 'exited with code 1', uptimeMs: 50 },
  stop: { type: 'stop' },
};

// Expected next state and effect types; '=' stays as it is with no effect.
type Row = Partial<Record<ListenerEvent['type'], [ListenerState, string[]] | '='>>;
const retry = ['log', 'retry-in'];
const TABLE: Record<ListenerState, Row> = {
  STOPPED: { start: ['STOPPED', ['spawn']], spawned: ['ACKNOWLEDGED', []], 'spawn-failed': ['BACKOFF', retry], stop: ['GONE', []] },
  ACKNOWLEDGED: { ready: ['READY', ['notify-ready']], broken: ['ACKNOWLEDGED', ['log', 'kill']], exited: ['BACKOFF', retry], stop: ['GONE', ['kill']] },
  READY: { sent: ['BUSY', []], broken: ['READY', ['log', 'kill']], exited: ['BACKOFF', retry], stop: ['GONE', ['kill']] },
  BUSY: { result: ['ACKNOWLEDGED', ['deliver-result']], broken: ['BUSY', ['log', 'kill']], exited: ['BACKOFF', ['requeue', ...retry]], stop: ['GONE', ['kill']] },
  BACKOFF: { start: ['BACKOFF', ['spawn']], spawned: ['ACKNOWLEDGED', []], 'spawn-failed': ['BACKOFF', retry], stop: ['GONE', []] },
  GONE: {},
};

test('every (state, event) pair gives the state and effects of the table', () => {
  for (const state of LISTENER_STATES) {
    for (const type of LISTENER_EVENTS) {
      const m: ListenerMachine = { state, delayMs: 4000 };
      const frozen = JSON.stringify(m);
      const { next, effects } = listenerTransition(m, EVENTS[type]);
      const want = TABLE[state][type] ?? '=';
      const [wantState, wantEffects] = want === '=' ? [state, []] : want;
      assert.equal(next.state, wantState, `${state} + ${type}`);
      assert.deepEqual(effects.map((e) => e.type), wantEffects, `${state} + ${type}`);
      assert.equal(JSON.stringify(m), frozen, 'the input is not mutated');
    }
  }
});

test('the retry delay doubles to its cap and starts over after a stable run; a held event is given back', () => {
  let m: ListenerMachine = { state: 'BUSY', delayMs: FIRST_DELAY_MS };
  const died = listenerTransition(m, { type: 'exited', how: 'killed by SIGKILL', uptimeMs: 10 });
  assert.deepEqual(died.effects[0], { type: 'requeue' });
  assert.deepEqual(died.effects.at(-1), { type: 'retry-in', ms: FIRST_DELAY_MS });
  m = died.next;
  for (let i = 0; i < 10; i++) m = listenerTransition(m, { type: 'spawn-failed', error: 'x' }).next;
  assert.equal(m.delayMs, MAX_DELAY_MS);
  const stable = listenerTransition({ state: 'READY', delayMs: MAX_DELAY_MS }, { type: 'exited', how: 'exited with code 0', uptimeMs: STABLE_MS });
  assert.deepEqual(stable.effects.at(-1), { type: 'retry-in', ms: FIRST_DELAY_MS });
});
