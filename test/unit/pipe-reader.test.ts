// The native helper's one pipe reader (native/pipe-reader.c, src/io/pipe-reader.ts): real pipes, real
// children; every byte once and in order, pauses that lose nothing, one end per pipe and its fd closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, readdirSync, readlinkSync } from 'node:fs';
import { nativeHelper, type NativeHelper } from '../../src/io/native.ts';
import { nativePair, socketReader } from '../../src/io/native-pair.ts';
import type { OutputPair } from '../../src/io/output-pair.ts';
import { nativeReadEnd } from '../../src/io/pipe-reader.ts';

const loaded = nativeHelper();
const helper = typeof loaded === 'string' ? null : loaded;
const skip = helper === null || helper.pipeReader === undefined ? 'the native helper with pipeReader is not built' : false;

// The emperor's end of a pipe whose child end runs `script` (sh -c); the pair's child end closed here.
function child(script: string): { pair: OutputPair; proc: ChildProcess } {
  const pair = nativePair(helper as NativeHelper);
  const proc = spawn('sh', ['-c', script], { stdio: ['ignore', pair.childEnd, 'inherit'] });
  pair.closeChildEnd();
  return { pair, proc };
}

const exited = (p: ChildProcess): Promise<unknown> => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));

/** Every byte the end gets until it ends, copied out of the shared buffer; `onChunk` may answer false. */
function collect(pair: OutputPair, onChunk: (len: number) => boolean = () => true): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let ended = false;
  pair.setSink((buf, len) => {
    assert.equal(ended, false, 'no read after the end');
    chunks.push(Buffer.from(buf.subarray(0, len)));
    return onChunk(len);
  });
  return new Promise((resolve) =>
    pair.onEnd(() => {
      ended = true;
      resolve(Buffer.concat(chunks));
    }),
  );
}

const pattern = (bytes: number): string => `head -c ${bytes} /dev/urandom | od -An -v -tx1 | tr -d ' \\n' | head -c ${bytes}`;

test('a child writes: every byte arrives in order, then the end comes once and the read end is closed', { skip }, async () => {
  const fdsBefore = new Set(openPipes());
  const pair = nativePair(helper as NativeHelper);
  const mine = openPipes().filter((fd) => !fdsBefore.has(fd));
  assert.equal(mine.length, 2, 'the pair is two pipe fds');
  const proc = spawn('sh', ['-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done'], { stdio: ['ignore', pair.childEnd, 'inherit'] });
  pair.closeChildEnd();
  let ends = 0;
  pair.onEnd(() => ends++);
  const got = await collect(pair);
  await exited(proc);
  const expected = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');
  assert.equal(got.toString(), expected);
  await new Promise((r) => setImmediate(r));
  assert.equal(ends, 1);
  // The reader closed its fd at the EOF: no pipe of this pair is open in this process any more.
  const still = openPipes();
  for (const fd of mine) assert.ok(!still.includes(fd), `fd ${fd} closed`);
});

test('a sink returning false pauses the pipe until resume(), while its writer keeps writing: nothing is lost', { skip }, async () => {
  const { pair, proc } = child(`${pattern(3_000_000)}; printf END`);
  let pauses = 0;
  const got = collect(pair, () => {
    pauses++;
    // Paused a while: the child fills the pipe and waits; nothing is dropped.
    setTimeout(() => pair.resume(), 2);
    return false;
  });
  const text = (await got).toString();
  await exited(proc);
  assert.equal(text.length, 3_000_003);
  assert.ok(text.endsWith('END'));
  assert.match(text.slice(0, -3), /^[0-9a-f]+$/);
  assert.ok(pauses > 1, `paused ${pauses} times`);
});

test('pause() and resume() from outside the sink: no read while paused, every byte after', { skip }, async () => {
  const { pair, proc } = child('printf first; sleep 0.3; printf second');
  let paused = false;
  const got = collect(pair, () => {
    assert.equal(paused, false, 'no read while paused');
    return true;
  });
  await new Promise((r) => setTimeout(r, 100));
  pair.pause();
  paused = true;
  await new Promise((r) => setTimeout(r, 500));
  paused = false;
  pair.resume();
  assert.equal((await got).toString(), 'firstsecond');
  await exited(proc);
});

test('a child killed in the middle of its writes: what it wrote arrives, then the end', { skip }, async () => {
  const { pair, proc } = child('while :; do echo 0123456789abcdef; done');
  let bytes = 0;
  const got = collect(pair, (len) => {
    bytes += len;
    if (bytes > 200_000 && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    return true;
  });
  const text = (await got).toString();
  await exited(proc);
  assert.ok(text.length >= 200_000);
  // Whole lines, but for a last one the kill may have cut.
  const lines = text.split('\n');
  lines.pop();
  for (const l of lines) assert.equal(l, '0123456789abcdef');
});

test('many pipes at once: each gets its own child\'s bytes, and each ends', { skip }, async () => {
  const children = Array.from({ length: 150 }, (_, i) => child(`i=0; while [ $i -lt 50 ]; do echo "child ${i} line $i"; i=$((i+1)); done`));
  const texts = await Promise.all(children.map((c) => collect(c.pair)));
  await Promise.all(children.map((c) => exited(c.proc)));
  texts.forEach((t, i) => {
    assert.equal(t.toString(), Array.from({ length: 50 }, (_, n) => `child ${i} line ${n}\n`).join(''));
  });
});

test('destroy(): no read after it, the end comes once, the fd is closed and free for the next pipe', { skip }, async () => {
  const { pair, proc } = child('while :; do echo x; sleep 0.01; done');
  let reads = 0;
  let destroyed = false;
  const ended = new Promise<void>((r) => pair.onEnd(r));
  pair.setSink(() => {
    assert.equal(destroyed, false, 'no read after destroy');
    reads++;
    return true;
  });
  await new Promise<void>((r) => {
    const t = setInterval(() => reads > 0 && (clearInterval(t), r()), 5);
  });
  pair.destroy();
  destroyed = true;
  await ended;
  proc.kill('SIGKILL');
  await exited(proc);
  // A second destroy closes nothing (its fd may belong to another pipe by now).
  const next = child('printf next');
  pair.destroy();
  assert.equal((await collect(next.pair)).toString(), 'next');
  await exited(next.proc);
});

test('an end over a plain socket fd (the emperor-output path) reads it as a pipe', { skip }, async () => {
  const fds = (helper as NativeHelper).socketPair();
  assert.ok(Array.isArray(fds));
  const [mine, theirs] = fds as [number, number];
  const end = nativeReadEnd(helper as NativeHelper, mine);
  assert.ok(end !== null);
  const proc = spawn('sh', ['-c', 'echo over-a-socket'], { stdio: ['ignore', theirs, 'inherit'] });
  closeSync(theirs);
  const chunks: Buffer[] = [];
  end.setSink((buf, len) => (chunks.push(Buffer.from(buf.subarray(0, len))), true));
  await new Promise<void>((r) => end.onEnd(r));
  assert.equal(Buffer.concat(chunks).toString(), 'over-a-socket\n');
  await exited(proc);
});

// This process's open pipe descriptors.
function openPipes(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`).startsWith('pipe:')) out.push(Number(name));
    } catch {
      // the directory's own fd, closed by now
    }
  }
  return out;
}

test('without the helper\'s reader, a net.Socket reads the same pipe (socketReader): every byte, then the end', { skip }, async () => {
  const fds = (helper as NativeHelper).pipePair?.(64 * 1024);
  assert.ok(Array.isArray(fds));
  const [mine, theirs] = fds as [number, number, number];
  const end = socketReader(mine);
  const proc = spawn('sh', ['-c', 'head -c 500000 /dev/zero; printf tail'], { stdio: ['ignore', theirs, 'inherit'] });
  closeSync(theirs);
  const chunks: Buffer[] = [];
  let pauses = 0;
  end.setSink((buf, len) => {
    chunks.push(Buffer.from(buf.subarray(0, len)));
    if (pauses++ % 2 === 0) {
      end.pause();
      setTimeout(() => end.resume(), 1);
    }
    return true;
  });
  await new Promise<void>((r) => end.onEnd(r));
  const all = Buffer.concat(chunks);
  assert.equal(all.length, 500_004);
  assert.equal(all.subarray(-4).toString(), 'tail');
  await exited(proc);
});
