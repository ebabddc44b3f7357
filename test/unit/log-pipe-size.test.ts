// A log pipe's size: quiet (64 KiB, little kernel memory) until its child writes fast, 1 MiB while it
// does, quiet again after a second of silence; the same lines either way, and the fallbacks keep a fixed size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogWriter } from '../../src/io/log-writer.ts';
import { BUSY_MS, pipeSizeAfterRead, pipeToLog, QUIET_MS } from '../../src/io/log-pipe.ts';
import { nativeHelper, type NativeHelper } from '../../src/io/native.ts';
import { nativePair } from '../../src/io/native-pair.ts';
import { PairMaker, PIPE_BYTES, QUIET_PIPE_BYTES, type OutputPair } from '../../src/io/socket-pair.ts';

const ROOT = process.getuid?.() === 0;

// The size after a read: grow for a busy writer, shrink after a quiet spell, else leave it.
const SIZES: Array<{ name: string; len: number; sinceMs: number; holds: number; want: number }> = [
  { name: 'a quiet pipe, the first read, a lone line', len: 100, sinceMs: Infinity, holds: QUIET_PIPE_BYTES, want: 0 },
  { name: 'a quiet pipe, the first read, half the pipe', len: QUIET_PIPE_BYTES / 2, sinceMs: Infinity, holds: QUIET_PIPE_BYTES, want: PIPE_BYTES },
  { name: 'a quiet pipe, a read soon after the last (busy)', len: 8192, sinceMs: BUSY_MS / 2, holds: QUIET_PIPE_BYTES, want: PIPE_BYTES },
  { name: 'a quiet pipe, a line now and then', len: 100, sinceMs: BUSY_MS, holds: QUIET_PIPE_BYTES, want: 0 },
  { name: 'a big pipe, busy', len: 8192, sinceMs: 0.2, holds: PIPE_BYTES, want: 0 },
  { name: 'a big pipe, a read a while after the last', len: 100, sinceMs: QUIET_MS / 2, holds: PIPE_BYTES, want: 0 },
  { name: 'a big pipe, a short read after a quiet spell', len: 100, sinceMs: QUIET_MS, holds: PIPE_BYTES, want: QUIET_PIPE_BYTES },
  { name: 'a big pipe, a big read after a quiet spell (a new burst)', len: QUIET_PIPE_BYTES, sinceMs: QUIET_MS, holds: PIPE_BYTES, want: 0 },
  { name: 'a pipe the system kept at one page, busy', len: 4096, sinceMs: 0.2, holds: 4096, want: PIPE_BYTES },
];
for (const c of SIZES) {
  test(`pipe size after a read: ${c.name}`, () => assert.equal(pipeSizeAfterRead(c.len, c.sinceMs, c.holds), c.want));
}

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-logsize-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

// 4 MB of 100-byte lines in 8 KiB writes, then, after a quiet spell, one more line.
const BURST_THEN_LINE = (quietMs: number): string => `
const fs = require('fs');
const line = (i) => ('line ' + i + ' ').padEnd(99, 'x') + '\\n';
let out = '';
for (let i = 0; i < 40000; i++) out += line(i);
const b = Buffer.from(out);
for (let off = 0; off < b.length; off += 8192) fs.writeSync(1, b, off, Math.min(8192, b.length - off));
setTimeout(() => fs.writeSync(1, 'last\\n'), ${quietMs});
`;

function expected(): string {
  let text = '';
  for (let i = 0; i < 40000; i++) text += `line ${i} `.padEnd(99, 'x') + '\n';
  return text + 'last\n';
}

// Runs the child into a log through `pair` and returns the log's text.
async function logThrough(dir: string, pair: OutputPair, quietMs: number): Promise<string> {
  const path = join(dir, 'OUT');
  const w = new LogWriter(path, { maxSize: 0, backups: 0 }, { dropped: () => assert.fail('nothing dropped'), resumed: () => {} });
  const child = spawn(process.execPath, ['-e', BURST_THEN_LINE(quietMs)], { stdio: ['ignore', pair.childEnd, 'inherit'] });
  pair.closeChildEnd();
  pipeToLog(pair, w);
  await w.idle();
  await w.close();
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  assert.deepEqual(readdirSync(dir), ['OUT']);
  return readFileSync(path, 'latin1');
}

// Records every size the reader asks for, and what it got.
function watchResizes(pair: OutputPair, refuse = false): Array<[number, number]> {
  const asked: Array<[number, number]> = [];
  const resize = pair.resize;
  assert.ok(resize !== undefined, 'a native pipe can be resized');
  (pair as { resize?: (bytes: number) => number }).resize = (bytes) => {
    const got = refuse ? pair.holds : resize(bytes);
    asked.push([bytes, got]);
    return got;
  };
  return asked;
}

test('a quiet pipe grows to 1 MiB while its child writes fast and shrinks back after a quiet spell; every line arrives', (t) =>
  withDir(async (dir) => {
    if (typeof nativeHelper() === 'string') return t.skip('no native helper');
    const maker = new PairMaker();
    try {
      const pair = await maker.pair(QUIET_PIPE_BYTES);
      assert.equal(pair.holds, QUIET_PIPE_BYTES, 'it starts quiet');
      const asked = watchResizes(pair);
      assert.equal(await logThrough(dir, pair, QUIET_MS + 300), expected());
      // Another user may be refused past its pipe quota: then the pipe keeps its size and is not asked again.
      if (ROOT) assert.deepEqual(asked, [[PIPE_BYTES, PIPE_BYTES], [QUIET_PIPE_BYTES, QUIET_PIPE_BYTES]]);
      else assert.ok(asked.length >= 1 && asked[0]?.[0] === PIPE_BYTES);
    } finally {
      maker.close();
    }
  }));

test('a pipe the system refuses to grow is asked once, and keeps working at its size', (t) =>
  withDir(async (dir) => {
    if (typeof nativeHelper() === 'string') return t.skip('no native helper');
    const maker = new PairMaker();
    try {
      const pair = await maker.pair(QUIET_PIPE_BYTES);
      const asked = watchResizes(pair, true);
      assert.equal(await logThrough(dir, pair, 0), expected());
      assert.deepEqual(asked, [[PIPE_BYTES, QUIET_PIPE_BYTES]]);
    } finally {
      maker.close();
    }
  }));

test('fallbacks keep a fixed size: a helper without pipeSize makes 1 MiB pipes; a socket pair cannot be resized', async (t) => {
  const helper = nativeHelper();
  if (typeof helper === 'string') return t.skip('no native helper');
  const pipePair = helper.pipePair?.bind(helper);
  assert.ok(pipePair !== undefined);
  const older: NativeHelper = { ...helperBasics(helper), pipePair };
  const pair = nativePair(older, QUIET_PIPE_BYTES);
  try {
    if (ROOT) assert.equal(pair.holds, PIPE_BYTES);
    assert.equal(pair.resize, undefined);
  } finally {
    pair.destroy();
  }
  const maker = new PairMaker(undefined, false);
  try {
    const socket = await maker.pair(QUIET_PIPE_BYTES);
    assert.equal(socket.resize, undefined);
    assert.equal(socket.holds, 0);
    socket.destroy();
  } finally {
    maker.close();
  }
});

// The helper's functions without pipeSize (an addon's properties are not enumerable: spread copies none).
function helperBasics(h: NativeHelper): NativeHelper {
  return {
    sendDatagram: (a, m) => h.sendDatagram(a, m),
    socketPair: () => h.socketPair(),
    listenSocket: (w, p, b) => h.listenSocket(w, p, b),
    setFsCreds: (u, g, gr) => h.setFsCreds(u, g, gr),
    restoreFsCreds: () => h.restoreFsCreds(),
  };
}
