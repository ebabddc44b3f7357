// Where a batch of log lines is cut for rotation: a pure function of the batch, the file size and the limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutAtLine } from '../../src/io/log-rotation.ts';

const text = (bufs: readonly Buffer[]): string[] => bufs.map((b) => b.toString());
const cut = (batch: string[], size: number, max: number): { head: string[]; rest: string[]; rotateFirst: boolean } => {
  const c = cutAtLine(batch.map((s) => Buffer.from(s)), size, max);
  return { head: text(c.head), rest: text(c.rest), rotateFirst: c.rotateFirst };
};

test('a batch that fits goes whole', () => {
  assert.deepEqual(cut(['a\n', 'bb\n'], 0, 10), { head: ['a\n', 'bb\n'], rest: [], rotateFirst: false });
});

test('a buffer crossing the limit is cut after its last line that fits', () => {
  assert.deepEqual(cut(['a\nbb\nccc\n', 'd\n'], 2, 8), { head: ['a\nbb\n'], rest: ['ccc\n', 'd\n'], rotateFirst: false });
});

test('nothing fits a full file: rotate first, all of it waits', () => {
  assert.deepEqual(cut(['abc\n', 'd\n'], 9, 10), { head: [], rest: ['abc\n', 'd\n'], rotateFirst: true });
});

test('a fresh file takes a first line longer than the limit whole', () => {
  assert.deepEqual(cut(['abcdefgh\nx\n'], 0, 4), { head: ['abcdefgh\n'], rest: ['x\n'], rotateFirst: false });
  assert.deepEqual(cut(['abcdefgh'], 0, 4), { head: ['abcdefgh'], rest: [], rotateFirst: false });
});

// Regression: a line spanning two parts (the partial line kept from the last read, then its rest) was cut
// at the part boundary when the limit fell inside it, so its start ended one file and its end began the next.
test('a line spanning parts is never cut: the cut goes back to the last newline of the parts before', () => {
  // size 3 + 'x\n' (2) + 'aaa' (3) fit in 10; the line 'aaa' + 'aa\n' does not: it waits for the next file.
  assert.deepEqual(cut(['x\n', 'aaa', 'aa\nb\n'], 3, 10), { head: ['x\n'], rest: ['aaa', 'aa\nb\n'], rotateFirst: false });
  // The part before ends mid-line after some whole lines: cut inside that part.
  assert.deepEqual(cut(['x\nyy', 'yy\nz\n'], 0, 6), { head: ['x\n'], rest: ['yy', 'yy\nz\n'], rotateFirst: false });
  // No newline before it in a non-empty file: rotate first, all of it waits.
  assert.deepEqual(cut(['aaa', 'aa\nb\n'], 5, 10), { head: [], rest: ['aaa', 'aa\nb\n'], rotateFirst: true });
  // A fresh file whose first line (spanning parts) is longer than the limit takes it whole.
  assert.deepEqual(cut(['aaa', 'aaaa\nb\n'], 0, 4), { head: ['aaa', 'aaaa\n'], rest: ['b\n'], rotateFirst: false });
});
