// Output pairs: made with public APIs, each a connected pair, never a stranger's connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { connect } from 'node:net';
import { PairMaker, PIPE_BYTES, READ_BUFFER_BYTES, type OutputPair } from '../../src/io/socket-pair.ts';

/** Everything the reader gets until it closes, copied out of the shared buffer. */
function collect(pair: OutputPair): Promise<Buffer> {
  const chunks: Buffer[] = [];
  pair.setSink((buf, len) => {
    assert.ok(len <= READ_BUFFER_BYTES);
    chunks.push(Buffer.from(buf.subarray(0, len)));
    return true;
  });
  return new Promise((resolve) => pair.onEnd(() => resolve(Buffer.concat(chunks))));
}

// Both ways of making pairs: a pipe through the native helper, and the listener handshake.
const MODES = [
  { name: 'native pipe', native: true },
  { name: 'handshake', native: false },
];

for (const mode of MODES) {
test(`${mode.name}: a child writes into its end; the reader gets every byte, then closes when the child exits`, async () => {
  const maker = new PairMaker(undefined, mode.native);
  try {
    const [a, b] = await Promise.all([maker.pair(), maker.pair()]);
    const child = spawn('sh', ['-c', 'head -c 3000000 /dev/zero; printf end; printf err >&2'], { stdio: ['ignore', a.childEnd, b.childEnd] });
    a.closeChildEnd();
    b.closeChildEnd();
    const [out, err] = await Promise.all([collect(a), collect(b)]);
    assert.equal(out.length, 3_000_003);
    assert.equal(out.subarray(-3).toString(), 'end');
    assert.equal(err.toString(), 'err');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  } finally {
    maker.close();
  }
});

test(`${mode.name}: a sink returning false stops reading until resume()`, async () => {
  const maker = new PairMaker(undefined, mode.native);
  try {
    const pair = await maker.pair();
    const child = spawn('head', ['-c', '2000000', '/dev/zero'], { stdio: ['ignore', pair.childEnd, 'ignore'] });
    pair.closeChildEnd();
    let got = 0;
    let stops = 0;
    const closed = new Promise((r) => pair.onEnd(() => r(null)));
    pair.setSink((_buf, len) => {
      got += len;
      stops++;
      pair.pause();
      setImmediate(() => pair.resume());
      return false;
    });
    await closed;
    assert.equal(got, 2_000_000);
    assert.ok(stops > 1);
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  } finally {
    maker.close();
  }
});

}

test('native pipe: the native helper makes the pairs (no listener anyone could reach)', async () => {
  const maker = new PairMaker();
  try {
    const pair = await maker.pair();
    assert.equal(maker.address, null);
    pair.destroy();
  } finally {
    maker.close();
  }
});

test('handshake: a stranger connecting to the listener is never handed out as a pair, and is closed unclaimed', async () => {
  const maker = new PairMaker(200, false);
  try {
    const first = await maker.pair();
    const address = maker.address;
    assert.ok(address !== null && address.startsWith('\0'));
    const stranger = connect({ path: address });
    const strangerGot: Buffer[] = [];
    stranger.on('data', (d: Buffer) => strangerGot.push(d));
    const strangerClosed = new Promise((r) => stranger.once('close', r));
    await new Promise((r) => stranger.once('connect', r));
    const pair = await maker.pair();
    const got = collect(pair);
    writeSync(pair.childEnd, 'only for the pair');
    pair.closeChildEnd();
    assert.equal((await got).toString(), 'only for the pair');
    await strangerClosed;
    // The stranger got a token and nothing else.
    assert.equal(Buffer.concat(strangerGot).length, 16);
    first.destroy();
  } finally {
    maker.close();
  }
});

test('handshake: more pairs at once than the listen backlog holds all succeed (handshakes take turns)', async () => {
  const maker = new PairMaker(undefined, false);
  try {
    // Each pair is closed as soon as it is made, so the test needs few descriptors at a time.
    const results = await Promise.allSettled(Array.from({ length: 700 }, () => maker.pair().then((p) => p.destroy())));
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, []);
  } finally {
    maker.close();
  }
});

test('native pipe: a 1 MiB pipe (F_SETPIPE_SZ), so small writes gather between reads; a handshake pair says its size is unknown', async () => {
  const maker = new PairMaker();
  const fallback = new PairMaker(undefined, false);
  try {
    const pair = await maker.pair();
    // Root may always enlarge a pipe; another user up to pipe-max-size and its pipe quota.
    if (process.getuid?.() === 0) assert.equal(pair.holds, PIPE_BYTES);
    else assert.ok(pair.holds >= 4096);
    pair.destroy();
    const other = await fallback.pair();
    assert.equal(other.holds, 0);
    other.destroy();
  } finally {
    maker.close();
    fallback.close();
  }
});
