import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VassalSocket } from '../../src/runtime/vassal-socket.ts';
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from '../../src/config/socket-address.ts';
import { makeSpec } from './make-spec.ts';

// A fake binder: hands out descriptors 100, 101... and records what was opened and closed.
function fakeOpen(fail: (a: SocketAddress) => string | null = () => null): { open: (a: SocketAddress) => { fd: number; close(): void } | { error: string }; log: string[] } {
  const log: string[] = [];
  let next = 100;
  return {
    log,
    open(a) {
      const why = fail(a);
      if (why !== null) return { error: why };
      const fd = next++;
      log.push(`open ${formatSocketAddress(a)} ${fd}`);
      return { fd, close: () => log.push(`close ${fd}`) };
    },
  };
}

const tcp = (port: number): SocketAddress => ({ kind: 'tcp', host: '127.0.0.1', port });

test('one socket per vassal: bound once, kept while the address stays, rebound when it changes, closed without one', () => {
  const f = fakeOpen();
  const s = new VassalSocket(f.open);
  assert.deepEqual(s.acquire(makeSpec({ socket: tcp(8080) })), { fd: 100 });
  assert.deepEqual(s.acquire(makeSpec({ socket: tcp(8080), env: [['A', '1']] })), { fd: 100 });
  assert.deepEqual(s.acquire(makeSpec({ socket: tcp(8081) })), { fd: 101 });
  assert.deepEqual(s.acquire(makeSpec()), { fd: null });
  s.close();
  assert.deepEqual(f.log, ['open tcp://127.0.0.1:8080 100', 'close 100', 'open tcp://127.0.0.1:8081 101', 'close 101']);
});

test('a bind failure names FILE:LINE of the socket key and is tried again at the next spawn', () => {
  let busy = true;
  const f = fakeOpen(() => (busy ? 'cannot bind (EADDRINUSE): another program listens on port 80' : null));
  const s = new VassalSocket(f.open);
  const spec = makeSpec({ socket: tcp(80), lines: { command: 2, socket: 5 } });
  assert.deepEqual(s.acquire(spec), {
    error: '/etc/emperor/vassals/web.ini:5: `socket = tcp://127.0.0.1:80`: cannot bind (EADDRINUSE): another program listens on port 80',
  });
  busy = false;
  assert.deepEqual(s.acquire(spec), { fd: 100 });
});

test('socket addresses format back as written', () => {
  for (const text of ['tcp://127.0.0.1:80', 'tcp://[::1]:8080', 'tcp://0.0.0.0:443', 'unix:/run/app.sock']) {
    const r = parseSocketAddress(text);
    assert.ok(r.ok, text);
    if (r.ok) assert.equal(formatSocketAddress(r.value), text);
  }
  for (const bad of ['tcp://[zz::1]:80', 'tcp://1.2.3:80', 'tcp://[::1]:0', 'udp://127.0.0.1:53', 'unix:']) assert.equal(parseSocketAddress(bad).ok, false, bad);
});
