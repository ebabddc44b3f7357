// The one line framer: `NAME: ` lines on the emperor's output are cut exactly as log files are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameLines, MAX_LINE_BYTES, PARTIAL_LINE_FLUSH_MS, prefixLines } from '../../src/io/line-framer.ts';

function prefixed(): { out: string[]; ring: string[]; framer: ReturnType<typeof prefixLines> } {
  const out: string[] = [];
  const ring: string[] = [];
  return { out, ring, framer: prefixLines('web: ', (t) => out.push(t), (t) => ring.push(t)) };
}

test('whole lines go out at once, prefixed line by line; a cut line waits for its end', () => {
  const { out, ring, framer } = prefixed();
  framer.push(Buffer.from('one\ntwo\nthr'));
  assert.deepEqual(out, ['web: one\nweb: two\n']);
  framer.push(Buffer.from('ee'));
  assert.equal(out.length, 1, 'no newline yet');
  framer.push(Buffer.from('\nfour\n'));
  assert.deepEqual(out, ['web: one\nweb: two\n', 'web: three\nweb: four\n']);
  assert.deepEqual(ring, ['one\ntwo', 'three\nfour']);
  framer.end();
  assert.equal(out.length, 2, 'nothing left to flush');
});

test('the stream\'s end flushes a partial last line as a line of its own', () => {
  const { out, ring, framer } = prefixed();
  framer.push(Buffer.from('done, no newline'));
  framer.end();
  assert.deepEqual(out, ['web: done, no newline\n']);
  assert.deepEqual(ring, ['done, no newline']);
});

test('a partial line is flushed after a second of quiet; what follows starts a new line', async () => {
  const { out, framer } = prefixed();
  framer.push(Buffer.from('prompt> '));
  const deadline = Date.now() + PARTIAL_LINE_FLUSH_MS + 3000;
  while (out.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(out, ['web: prompt> \n']);
  framer.push(Buffer.from('answer\n'));
  assert.deepEqual(out, ['web: prompt> \n', 'web: answer\n']);
  framer.end();
});

test('a line longer than the limit goes out without waiting for its end; bytes are never lost or repeated', () => {
  const got: Buffer[] = [];
  const framer = frameLines((chunks) => {
    got.push(Buffer.concat(chunks));
    return true;
  });
  const long = Buffer.alloc(MAX_LINE_BYTES + 10, 0x61);
  framer.push(long.subarray(0, 1000));
  framer.push(long.subarray(1000));
  assert.equal(got.length, 1, 'flushed once past the limit');
  framer.push(Buffer.from('\nnext\n'));
  framer.end();
  assert.equal(Buffer.concat(got).toString(), `${'a'.repeat(MAX_LINE_BYTES + 10)}\nnext\n`);
});
