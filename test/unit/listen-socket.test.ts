// The emperor's listening sockets, both ways: the native helper and the fallback (Node's cluster
// handle plus a listen() helper process). Either way a client's connection waits in the queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openListenSocket } from '../../src/io/listen-socket.ts';

// A free loopback port: bound by a throwaway server, then released.
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

for (const native of [true, false]) {
  const mode = native ? 'native' : 'fallback';
  test(`${mode}: a TCP socket listens (a connection is queued), a second bind is EADDRINUSE with the fix, close frees it`, async () => {
    const port = await freePort();
    const s = openListenSocket({ kind: 'tcp', host: '127.0.0.1', port }, native);
    assert.ok(!('error' in s), JSON.stringify(s));
    assert.equal(await s.ready, null);
    const taken = openListenSocket({ kind: 'tcp', host: '127.0.0.1', port }, native);
    assert.ok('error' in taken);
    assert.match(taken.error, new RegExp(`cannot bind \\(EADDRINUSE\\): another program listens on port ${port}`));
    await new Promise<void>((resolve, reject) => {
      const c = connect(port, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        resolve();
      });
      c.on('error', reject);
    });
    s.close();
    const again = openListenSocket({ kind: 'tcp', host: '127.0.0.1', port }, native);
    assert.ok(!('error' in again));
    again.close();
  });

  test(`${mode}: a Unix socket is 0666, removed on close`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emperor-listen-'));
    try {
      const path = join(dir, 'sub', 'app.sock');
      const s = openListenSocket({ kind: 'unix', path }, native);
      assert.ok(!('error' in s), JSON.stringify(s));
      assert.equal(await s.ready, null);
      assert.equal(statSync(path).mode & 0o777, 0o666);
      s.close();
      assert.throws(() => statSync(path));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
