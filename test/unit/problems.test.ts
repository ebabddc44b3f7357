import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configError, configWarning, finishProblems, quote } from '../../src/config/problems.ts';

test('quote wraps in backticks, shortens, and escapes control characters', () => {
  assert.equal(quote('abc'), '`abc`');
  assert.equal(quote('a'.repeat(70)), `\`${'a'.repeat(60)}...\``);
  assert.equal(quote('a\tb\nc\rd\u0007\u007f'), '`a\\tb\\nc\\rd\\x07\\x7f`');
});

test('finishProblems sorts by line, stably, and sums up past the cap', () => {
  const ps = [configError('f', 3, 'c'), configError('f', 1, 'a'), configWarning('f', 3, 'd'), configError('f', 2, 'b')];
  assert.deepEqual(finishProblems(ps).map((p) => p.message), ['a', 'b', 'c', 'd']);
  assert.deepEqual(finishProblems(ps, 2), [
    configError('f', 1, 'a'),
    configError('f', 2, 'b'),
    { file: 'f', line: 3, message: '... 2 more problems', warning: false },
  ]);
  assert.deepEqual(finishProblems(ps, 3)[3], { file: 'f', line: 3, message: '... 1 more problem', warning: true });
  assert.deepEqual(finishProblems(ps, 0), []);
});
