// The log writer on real files: exact rotation on line boundaries, nothing lost, failures counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogWriter } from '../../src/io/log-writer.ts';

function lines(from: number, count: number, width = 20): Buffer {
  let s = '';
  for (let i = from; i < from + count; i++) s += `line ${i}`.padEnd(width - 1, '.') + '\n';
  return Buffer.from(s);
}

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-logw-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('rotation: every file ends on a line boundary, none passes the limit, nothing is lost', () =>
  withDir(async (dir) => {
    const path = join(dir, 'app.log');
    const drops: number[] = [];
    const w = new LogWriter(path, { maxSize: 1000, backups: 3 }, { dropped: (b) => drops.push(b), resumed: () => {} });
    // 200 lines of 20 bytes in uneven chunks: 4000 bytes, so 4 files of 1000 (50 lines each).
    let n = 0;
    for (const size of [7, 33, 1, 60, 99]) {
      w.push(lines(n, size));
      n += size;
    }
    await w.close();
    assert.deepEqual(drops, []);
    const files = [`${path}.3`, `${path}.2`, `${path}.1`, path].map((p) => readFileSync(p, 'utf8'));
    for (const f of files) {
      assert.ok(f.length <= 1000 && f.endsWith('\n'), `${f.length} bytes`);
    }
    assert.equal(files.join(''), lines(0, 200).toString());
    assert.ok(!existsSync(`${path}.4`), 'only `backups` old files are kept');
  }));

test('a line longer than the limit is written whole, into a file of its own', () =>
  withDir(async (dir) => {
    const path = join(dir, 'big.log');
    const w = new LogWriter(path, { maxSize: 50, backups: 5 }, { dropped: () => {}, resumed: () => {} });
    w.push(Buffer.from('short 1\n'));
    w.push(Buffer.from(`${'x'.repeat(120)}\nshort 2\n`));
    await w.close();
    assert.equal(readFileSync(`${path}.2`, 'utf8'), 'short 1\n');
    assert.equal(readFileSync(`${path}.1`, 'utf8'), `${'x'.repeat(120)}\n`);
    assert.equal(readFileSync(path, 'utf8'), 'short 2\n');
  }));

test('a full disk (/dev/full) drops and counts, never throws, and says so once', async () => {
  const drops: Array<[number, boolean]> = [];
  const w = new LogWriter('/dev/full', { maxSize: 0, backups: 0 }, { dropped: (b, _r, first) => drops.push([b, first]), resumed: () => {} });
  w.push(Buffer.from('a line\n'));
  await w.drained();
  w.push(Buffer.from('another\n'));
  await w.drained();
  assert.equal(drops.reduce((n, [b]) => n + b, 0), 'a line\nanother\n'.length);
  assert.deepEqual(drops.map(([, first]) => first), [true, false]);
  await w.close();
});

test('an unwritable path drops and counts; writing resumes once the path works', () =>
  withDir(async (dir) => {
    const blocker = join(dir, 'not-a-dir');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(blocker, '');
    const path = join(blocker, 'app.log'); // a file where a directory should be: ENOTDIR
    let dropped = 0;
    let resumed = 0;
    const w = new LogWriter(path, { maxSize: 0, backups: 0 }, { dropped: (b) => (dropped += b), resumed: () => resumed++ });
    w.push(Buffer.from('lost\n'));
    await w.drained();
    assert.equal(dropped, 5);
    await w.close();
    rmSync(blocker);
    const ok = new LogWriter(path, { maxSize: 0, backups: 0 }, { dropped: (b) => (dropped += b), resumed: () => resumed++ });
    ok.push(Buffer.from('kept\n'));
    await ok.close();
    assert.equal(readFileSync(path, 'utf8'), 'kept\n');
  }));

test('a rotation that cannot rename drops and counts the lines, and never throws', () =>
  withDir(async (dir) => {
    const { mkdirSync } = await import('node:fs');
    const path = join(dir, 'app.log');
    mkdirSync(`${path}.1`); // renaming app.log onto a directory fails (EISDIR)
    mkdirSync(join(`${path}.1`, 'keep'));
    let dropped = 0;
    const reasons: string[] = [];
    const w = new LogWriter(path, { maxSize: 100, backups: 1 }, { dropped: (b, r) => ((dropped += b), reasons.push(r)), resumed: () => {} });
    for (let i = 0; i < 20; i++) w.push(lines(i * 10, 10));
    await w.close();
    assert.ok(dropped > 0, 'the lines that could not go anywhere are counted');
    assert.match(reasons[0] ?? '', /cannot rotate .*app\.log: E(ISDIR|NOTEMPTY|EXIST)/);
  }));

test('parts that are views of a reused buffer are written in place, or copied when they must wait for a slow write', () =>
  withDir(async (dir) => {
    // The "file" is a FIFO whose reader starts late and pauses once: the first two writes block (two
    // slow writes: the disk is slow, write-pace), so the next ones queue up.
    const fifo = join(dir, 'slow');
    const out = join(dir, 'out');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const reader = spawn('sh', ['-c', `exec < '${fifo}' > '${out}'; sleep 0.3; dd bs=64k count=3 iflag=fullblock status=none; sleep 0.3; exec cat`], { stdio: 'ignore' });
    const readerDone = new Promise((r) => reader.once('exit', r));
    const w = new LogWriter(fifo, { maxSize: 0, backups: 0 }, { dropped: () => assert.fail('nothing dropped'), resumed: () => {} }, (p) => openSync(p, 'r+'));
    const expected: Buffer[] = [];
    const shared = Buffer.alloc(256 * 1024);
    for (let i = 0; i < 40; i++) {
      const n = i < 2 ? shared.length : 1000 + i * 37;
      const body = lines(i * 10000, Math.floor(n / 20)).subarray(0, Math.floor(n / 20) * 20);
      body.copy(shared);
      const half = Math.floor(body.length / 40) * 20;
      w.push(shared.subarray(0, half), shared.subarray(half, body.length));
      expected.push(Buffer.from(body));
      shared.fill(0x23); // the caller reuses its buffer as soon as push returns
    }
    await w.close();
    await readerDone;
    assert.ok(readFileSync(out).equals(Buffer.concat(expected)), 'every part arrived as it was when pushed');
  }));

test('a disk that fills mid-batch leaves no half line: the file is cut back, the batch counted as dropped', () =>
  withDir(async (dir) => {
    // A 64 KiB tmpfs (root, as the tests run): a batch bigger than what is left is written short.
    const mnt = join(dir, 'small');
    const { mkdirSync, statSync } = await import('node:fs');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
    assert.equal(m.status, 0, `mount a small tmpfs: ${m.stderr}`);
    try {
      const path = join(mnt, 'app.log');
      let dropped = 0;
      const w = new LogWriter(path, { maxSize: 0, backups: 0 }, { dropped: (b) => (dropped += b), resumed: () => {} });
      const first = lines(0, 2000); // 40,000 bytes: fits
      const second = lines(2000, 2000); // another 40,000: only part of it fits
      w.push(first);
      w.push(second);
      await w.drained();
      await w.close();
      const text = readFileSync(path, 'latin1');
      assert.ok(text.endsWith('\n'), 'the file ends on a whole line');
      assert.equal(statSync(path).size, first.length, 'the short batch was cut back');
      assert.equal(dropped, second.length, 'the whole short batch counts as dropped');
    } finally {
      spawnSync('umount', [mnt]);
    }
  }));
