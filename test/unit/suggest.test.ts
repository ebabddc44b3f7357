import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestWord, editDistance } from '../../src/config/suggest.ts';

test('editDistance counts inserts, deletes, replacements and swaps', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('comand', 'command'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('ab', 'ba'), 1);
  assert.equal(editDistance('usre', 'user'), 1);
});

test('closestWord ignores case and _ vs -, and refuses distant words', () => {
  const known = ['command', 'user', 'stop-signal', 'log'];
  assert.equal(closestWord('comand', known), 'command');
  assert.equal(closestWord('COMMAND', known), 'command');
  assert.equal(closestWord('stop_signal', known), 'stop-signal');
  assert.equal(closestWord('usr', known), 'user');
  assert.equal(closestWord('lg', known), 'log');
  assert.equal(closestWord('banana', known), null);
  assert.equal(closestWord('x'.repeat(1000), known), null);
});
