// The log writer's copy buffers: copies joined whole, a batch in flight never overwritten, overflow copied on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARENA_BYTES, CopyArenas } from '../../src/io/copy-arenas.ts';

test('copies are joined parts, independent of the caller reusing its buffer', () => {
  const a = new CopyArenas();
  const src = Buffer.from('hello world\n');
  const c = a.copy([src.subarray(0, 5), src.subarray(5)], src.length);
  src.fill(0x23);
  assert.equal(c.toString(), 'hello world\n');
});

test('after a swap the next copies go to the other buffer: the batch in flight stays intact, and its buffer is reused after the next swap', () => {
  const a = new CopyArenas();
  const first = a.copy([Buffer.from('a'.repeat(1000))], 1000);
  a.swap();
  const second = a.copy([Buffer.from('b'.repeat(1000))], 1000);
  assert.equal(first.toString(), 'a'.repeat(1000), 'the first batch is not overwritten');
  assert.notEqual(first.buffer, second.buffer);
  a.swap();
  const third = a.copy([Buffer.from('c'.repeat(10))], 10);
  assert.equal(third.buffer, first.buffer, 'the first buffer, free once its batch was written, is reused');
  assert.equal(second.toString(), 'b'.repeat(1000), 'the second batch is not overwritten');
});

test('a copy that does not fit what is left gets a buffer of its own; reset(false) lets the buffers go', () => {
  const a = new CopyArenas();
  const big = a.copy([Buffer.alloc(ARENA_BYTES - 10, 0x61)], ARENA_BYTES - 10);
  const over = a.copy([Buffer.alloc(20, 0x62)], 20);
  assert.notEqual(over.buffer, big.buffer);
  assert.equal(over.toString(), 'b'.repeat(20));
  a.reset(true);
  assert.equal(a.copy([Buffer.from('x')], 1).buffer, big.buffer, 'kept for reuse');
  a.reset(false);
  assert.notEqual(a.copy([Buffer.from('y')], 1).buffer, big.buffer, 'let go');
});
