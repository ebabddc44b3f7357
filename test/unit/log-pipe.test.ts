// A child's output through an output pair into a rotating log: exact, whole lines, paused when the writer is behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogWriter } from '../../src/io/log-writer.ts';
import { pipeToLog } from '../../src/io/log-pipe.ts';
import { PairMaker } from '../../src/io/socket-pair.ts';

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
      const pause = pair.reader.pause.bind(pair.reader);
      pair.reader.pause = () => {
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
