// The shutdown order: dependents first, a dependency cycle together, the given order kept within a batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stopBatches } from '../../src/core/stop-order.ts';

const order = (deps: Record<string, string[]>): string[][] =>
  stopBatches(Object.keys(deps), (n) => n, (n) => deps[n] ?? []);

test('dependents stop before what they depend on', () => {
  assert.deepEqual(order({ db: [], app: ['db'], web: ['app'], cron: [] }), [['web', 'cron'], ['app'], ['db']]);
});

test('a cycle stops together once nothing else is left', () => {
  assert.deepEqual(order({ a: ['b'], b: ['a'], c: ['a'] }), [['c'], ['a', 'b']]);
});

test('a dependency that is not being stopped does not hold anything back', () => {
  assert.deepEqual(order({ app: ['daemon'] }), [['app']]);
  assert.deepEqual(order({}), []);
});
