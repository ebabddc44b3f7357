// A child's output without a log file: prefixed lines onto the emperor's output, with fake read ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachOutput } from '../../src/runtime/child-output.ts';
import { OutputRing } from '../../src/runtime/output-ring.ts';
import type { ChunkSink, ReadEnd } from '../../src/io/output-pair.ts';
import type { Timers } from '../../src/runtime/ports.ts';

// A read end the test feeds by hand; it counts its end listeners.
class FakeEnd implements ReadEnd {
  sink: ChunkSink | null = null;
  readonly endListeners: Array<() => void> = [];
  setSink(sink: ChunkSink): void {
    this.sink = sink;
  }
  pause(): void {}
  resume(): void {}
  onEnd(fn: () => void): void {
    this.endListeners.push(fn);
  }
  destroy(): void {
    this.end();
  }
  feed(text: string): void {
    const buf = Buffer.from(text);
    this.sink?.(buf, buf.length);
  }
  end(): void {
    for (const fn of this.endListeners.splice(0)) fn();
  }
}

const TIMERS = { setTimeout: () => ({}), clearTimeout: () => {} } as unknown as Timers;

test('a silent stream holds no end listener; one that printed gives its last line without a newline at its end', () => {
  const out = new FakeEnd();
  const err = new FakeEnd();
  const written: string[] = [];
  const ring = new OutputRing();
  const proc = { pid: 42, stdout: out, stderr: err, onExit: () => {} };
  attachOutput(proc, 'web', { stdout: (t) => written.push(t), stderr: (t) => written.push(`E:${t}`), timers: TIMERS }, ring, { stdout: null, stderr: null });
  assert.equal(out.endListeners.length + err.endListeners.length, 0, 'nothing printed: no listener');
  out.feed('one\ntwo');
  assert.equal(out.endListeners.length, 1);
  assert.deepEqual(written, ['web: one\n']);
  out.end();
  err.end();
  assert.deepEqual(written, ['web: one\n', 'web: two\n'], 'the unfinished line at the end');
  assert.deepEqual(ring.tail(5), ['one', 'two']);
});
