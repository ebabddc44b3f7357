// The stats socket renders once per event-loop turn: connections in one burst share the document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oncePerTurn } from '../../src/control/stats-server.ts';

test('one rendering per turn; the next turn renders afresh', () => {
  let renders = 0;
  const queued: Array<() => void> = [];
  const doc = oncePerTurn(() => `doc ${++renders}`, (fn) => queued.push(fn));
  assert.equal(doc(), 'doc 1');
  assert.equal(doc(), 'doc 1', 'the same turn shares it');
  assert.equal(renders, 1);
  assert.equal(queued.length, 1, 'one end-of-turn reset is queued');
  for (const fn of queued.splice(0)) fn();
  assert.equal(doc(), 'doc 2', 'a later turn sees the fleet as it is then');
  assert.equal(renders, 2);
});

test('with the real setImmediate, a later turn renders again', async () => {
  let renders = 0;
  const doc = oncePerTurn(() => String(++renders));
  assert.equal(doc(), '1');
  assert.equal(doc(), '1');
  await new Promise((r) => setImmediate(r));
  assert.equal(doc(), '2');
});
