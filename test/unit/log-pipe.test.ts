// A child's output through an output pair into a rotating log: exact, whole lines, paused when the writer is behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogWriter } from '../../src/io/log-writer.ts';
import { BUSY_MS, pipeToLog, REST_MIN_HOLDS, REST_MS, restAfterRead } from '../../src/io/log-pipe.ts';
import { PairMaker, PIPE_BYTES, READ_BUFFER_BYTES } from '../../src/io/socket-pair.ts';

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-logp-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

// Lines of varied lengths in writes of varied sizes (cut anywhere), then a last line with no newline.
const WRITER = `
let out = '';
for (let i = 0; i < 60000; i++) out += 'line ' + i + ' ' + 'y'.repeat(i % 97) + '\\n';
out += 'the end, no newline';
const b = Buffer.from(out);
let off = 0, k = 1;
while (off < b.length) { const n = Math.min(b.length - off, (k * 7919) % 70000 + 1); require('fs').writeSync(1, b, off, n); off += n; k++; }
`;

function expectedText(): string {
  let out = '';
  for (let i = 0; i < 60000; i++) out += `line ${i} ${'y'.repeat(i % 97)}\n`;
  return out + 'the end, no newline';
}

test('every byte arrives once, each file ends on a line boundary and stays under the size', () =>
  withDir(async (dir) => {
    const maker = new PairMaker();
    try {
      const path = join(dir, 'OUT');
      const max = 333_333;
      const w = new LogWriter(path, { maxSize: max, backups: 100 }, { dropped: () => assert.fail('nothing dropped'), resumed: () => {} });
      const pair = await maker.pair();
      const child = spawn(process.execPath, ['-e', WRITER], { stdio: ['ignore', pair.childEnd, 'inherit'] });
      pair.closeChildEnd();
      pipeToLog(pair, w);
      await w.idle();
      await w.close();
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      const names = readdirSync(dir).sort((a, b) => (b === 'OUT' ? -1 : a === 'OUT' ? 1 : Number(b.split('.')[1]) - Number(a.split('.')[1])));
      const files = names.map((n) => readFileSync(join(dir, n), 'utf8'));
      assert.equal(files.join(''), expectedText());
      for (const f of files.slice(0, -1)) assert.ok(f.length <= max && f.endsWith('\n'), `${f.length} bytes`);
      assert.ok(files.length > 10);
    } finally {
      maker.close();
    }
  }));

// A writer that says it is behind on every other push, and drains a moment later.
class BehindWriter extends LogWriter {
  behind = 0;
  override push(...parts: Buffer[]): boolean {
    super.push(...parts);
    if (++this.behind % 2 === 0) return true;
    setTimeout(() => this.onDrain?.(), 2);
    return false;
  }
}

test('a writer that is behind pauses the pipe, and its drain resumes it; nothing is lost', () =>
  withDir(async (dir) => {
    const maker = new PairMaker();
    try {
      const path = join(dir, 'OUT');
      const w = new BehindWriter(path, { maxSize: 0, backups: 0 }, { dropped: () => assert.fail('nothing dropped'), resumed: () => {} });
      const pair = await maker.pair();
      let pauses = 0;
      const pause = pair.pause.bind(pair);
      pair.pause = () => {
        pauses++;
        return pause();
      };
      const child = spawn(process.execPath, ['-e', WRITER], { stdio: ['ignore', pair.childEnd, 'inherit'] });
      pair.closeChildEnd();
      pipeToLog(pair, w);
      await w.idle();
      await w.close();
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      assert.equal(readFileSync(path, 'utf8'), expectedText());
      assert.ok(pauses > 0, 'the pipe was paused');
    } finally {
      maker.close();
    }
  }));

test('a line dribbled a byte per read is gathered whole (no stack overflow, no quadratic copy), and a line over 1 MiB goes out as it is', () =>
  withDir(async (dir) => {
    const path = join(dir, 'dribble.log');
    const writer = new LogWriter(path, { maxSize: 0, backups: 0 }, { dropped: () => {}, resumed: () => {} });
    // A stand-in pair: the test calls the sink as reads would, reusing one buffer as reads do.
    let sink: ((buf: Buffer, len: number) => boolean) | null = null;
    const listeners: Array<() => void> = [];
    const pair = { onEnd: (f: () => void) => void listeners.push(f), pause: () => {}, setSink: (s: typeof sink) => void (sink = s), resume: () => {} };
    pipeToLog(pair as unknown as Parameters<typeof pipeToLog>[0], writer); // a structural stand-in for OutputPair
    const buf = Buffer.alloc(1);
    for (let i = 0; i < 200_000; i++) {
      buf[0] = 0x61 + (i % 26);
      sink!(buf, 1);
    }
    buf[0] = 0x0a;
    sink!(buf, 1);
    // 1.2 MiB without a newline: the first 1 MiB goes out as it is, the rest waits for its newline.
    for (let i = 0; i < 1_200_000; i++) {
      buf[0] = 0x62;
      sink!(buf, 1);
    }
    for (const f of listeners) f();
    await writer.close();
    const text = readFileSync(path, 'latin1');
    const first = text.slice(0, 200_001);
    assert.equal(first.length, 200_001);
    assert.ok(first.endsWith('\n') && first.startsWith('abcdefghijklmnopqrstuvwxyzabc'));
    for (let i = 0; i < 200_000; i++) if (first.charCodeAt(i) !== 0x61 + (i % 26)) assert.fail(`byte ${i} out of order`);
    assert.equal(text.length, 200_001 + 1_200_000, 'every byte of the long line arrived');
  }));

// When a pipe rests after a read: only a big pipe, only a busy writer, never when the read filled the buffer.
const RESTS: Array<{ name: string; len: number; sinceMs: number; holds: number; gathered?: number; fine?: boolean; rest: number }> = [
  { name: 'a busy writer in small chunks, a 1 MiB pipe', len: 8192, sinceMs: 0.2, holds: PIPE_BYTES, rest: REST_MS },
  { name: 'the read after a rest (still busy)', len: 200_000, sinceMs: REST_MS + 0.5, holds: PIPE_BYTES, rest: REST_MS },
  { name: 'a quiet writer (a lone line)', len: 100, sinceMs: BUSY_MS, holds: PIPE_BYTES, rest: 0 },
  { name: 'the first read', len: 8192, sinceMs: Infinity, holds: PIPE_BYTES, rest: 0 },
  { name: 'a read that filled the buffer (more waiting)', len: READ_BUFFER_BYTES, sinceMs: 0.2, holds: PIPE_BYTES, rest: 0 },
  { name: 'a writer that filled half the pipe during the rest (it would wait)', len: 100_000, sinceMs: 0.2, holds: PIPE_BYTES, gathered: PIPE_BYTES / 2, rest: 0 },
  { name: 'a socket pair (size unknown)', len: 8192, sinceMs: 0.2, holds: 0, rest: 0 },
  { name: 'a pipe left at 64 KiB', len: 8192, sinceMs: 0.2, holds: 65536, rest: 0 },
  { name: 'a pipe just big enough', len: 8192, sinceMs: 0.2, holds: REST_MIN_HOLDS, rest: REST_MS },
  { name: 'fine rests: a busy writer in small chunks', len: 8192, sinceMs: 0.2, holds: PIPE_BYTES, fine: true, rest: REST_MS },
  { name: 'fine rests: a writer that fills half the pipe within REST_MS rests until it has', len: 400_000, sinceMs: 0.5, holds: PIPE_BYTES, fine: true, rest: ((PIPE_BYTES / 2) * 0.5) / 400_000 },
  { name: 'fine rests: a writer too fast for a rest of MIN_REST_MS', len: 300_000, sinceMs: 0.05, holds: PIPE_BYTES, fine: true, rest: 0 },
  { name: 'fine rests: data again at once after a read', len: 4096, sinceMs: 0, holds: PIPE_BYTES, fine: true, rest: 0 },
  { name: 'whole milliseconds only: a fast writer rests REST_MS', len: 400_000, sinceMs: 0.5, holds: PIPE_BYTES, rest: REST_MS },
];
for (const c of RESTS) {
  test(`rest after a read: ${c.name}`, () => assert.equal(restAfterRead(c.len, c.sinceMs, c.holds, c.gathered ?? c.len, c.fine), c.rest));
}

// 8 KiB writes of 100-byte lines, as `yes | head -c` makes them: lines cut at every write.
const SMALL_WRITES = `
const line = (i) => ('line ' + i + ' ').padEnd(99, 'x') + '\\n';
let out = '';
for (let i = 0; i < 40000; i++) out += line(i);
const b = Buffer.from(out);
for (let off = 0; off < b.length; off += 8192) require('fs').writeSync(1, b, off, Math.min(8192, b.length - off));
`;

for (const native of [true, false]) {
  test(`${native ? 'pipe' : 'socket pair'}: a busy writer in 8 KiB writes; every line whole, rotation exact${native ? ' (the pipe rests between reads)' : ''}`, () =>
    withDir(async (dir) => {
      const maker = new PairMaker(undefined, native);
      try {
        const path = join(dir, 'OUT');
        const max = 1_000_050;
        const w = new LogWriter(path, { maxSize: max, backups: 10 }, { dropped: () => assert.fail('nothing dropped'), resumed: () => {} });
        const pair = await maker.pair();
        assert.equal(pair.holds >= REST_MIN_HOLDS, native, native ? 'a big pipe' : 'a socket pair, no resting');
        const child = spawn(process.execPath, ['-e', SMALL_WRITES], { stdio: ['ignore', pair.childEnd, 'inherit'] });
        pair.closeChildEnd();
        pipeToLog(pair, w);
        await w.idle();
        await w.close();
        await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
        const names = readdirSync(dir).sort((a, b) => (b === 'OUT' ? -1 : a === 'OUT' ? 1 : Number(b.split('.')[1]) - Number(a.split('.')[1])));
        const files = names.map((n) => readFileSync(join(dir, n), 'latin1'));
        let expected = '';
        for (let i = 0; i < 40000; i++) expected += `line ${i} `.padEnd(99, 'x') + '\n';
        assert.equal(files.join(''), expected);
        assert.equal(files.length, 4);
        for (const f of files.slice(0, -1)) assert.ok(f.length <= max && f.length > max - 100 && f.endsWith('\n'), `${f.length} bytes`);
      } finally {
        maker.close();
      }
    }));
}
