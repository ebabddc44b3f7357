import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VassalSocket, type OpenSocket } from '../../src/runtime/vassal-socket.ts';
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from '../../src/config/socket-address.ts';
import { makeSpec } from './make-spec.ts';
import { failed } from '../../src/core/errors.ts';

// A fake binder: hands out descriptors 100, 101... and records what was opened and closed.
function fakeOpen(fail: (a: SocketAddress) => string | null = () => null): { open: OpenSocket; log: string[] } {
  const log: string[] = [];
  let next = 100;
  return {
    log,
    open(a) {
      const why = fail(a);
      if (why !== null) return failed('E_BIND_FAILED', why);
      const fd = next++;
      log.push(`open ${formatSocketAddress(a)} ${fd}`);
      return { fd, ready: Promise.resolve(null), close: () => void log.push(`close ${fd}`) };
    },
  };
}

const tcp = (port: number): SocketAddress => ({ kind: 'tcp', host: '127.0.0.1', port });

// The descriptor an acquire gave, or its error.
function fdOf(r: ReturnType<VassalSocket['acquire']>): number | null | string {
  return 'error' in r ? r.error : r.fd;
}

test('one socket per vassal: bound once, kept while the address stays, rebound when it changes, closed without one', async () => {
  const f = fakeOpen();
  const s = new VassalSocket(f.open);
  const first = s.acquire(makeSpec({ socket: tcp(8080) }));
  assert.equal(fdOf(first), 100);
  assert.equal(s.holds(100), false, 'not listening yet');
  assert.equal('ready' in first ? await first.ready : 'no ready', null);
  assert.equal(s.holds(100), true);
  assert.deepEqual(s.acquire(makeSpec({ socket: tcp(8080), env: [['A', '1']] })), { fd: 100, ready: null });
  assert.equal(fdOf(s.acquire(makeSpec({ socket: tcp(8081) }))), 101);
  assert.equal(s.holds(100), false);
  assert.deepEqual(s.acquire(makeSpec()), { fd: null, ready: null });
  s.close();
  // The new address is bound before the old one closes.
  assert.deepEqual(f.log, ['open tcp://127.0.0.1:8080 100', 'open tcp://127.0.0.1:8081 101', 'close 100', 'close 101']);
});

test('a new address that cannot be bound keeps the old socket; one on the same port closes the old first', async () => {
  let refuse = false;
  const f = fakeOpen(() => (refuse ? 'cannot bind (EADDRINUSE)' : null));
  const s = new VassalSocket(f.open);
  const first = s.acquire(makeSpec({ socket: tcp(8080) }));
  if ('ready' in first) await first.ready;
  refuse = true;
  assert.ok('error' in s.acquire(makeSpec({ socket: tcp(9090) })));
  assert.equal(s.holds(100), true, 'the old socket is kept');
  assert.equal(s.address, 'tcp://127.0.0.1:8080');
  refuse = false;
  // 127.0.0.1:8080 -> 0.0.0.0:8080 would collide with the socket still bound: the old one goes first.
  assert.equal(fdOf(s.acquire(makeSpec({ socket: { kind: 'tcp', host: '0.0.0.0', port: 8080 } }))), 101);
  s.close();
  assert.deepEqual(f.log, ['open tcp://127.0.0.1:8080 100', 'close 100', 'open tcp://0.0.0.0:8080 101', 'close 101']);
});

test('a bind or listen failure names FILE:LINE of the socket key and is tried again at the next spawn', async () => {
  let busy = true;
  const f = fakeOpen(() => (busy ? 'cannot bind (EADDRINUSE): another program listens on port 80' : null));
  const s = new VassalSocket(f.open);
  const spec = makeSpec({ socket: tcp(80), lines: { command: 2, socket: 5 } });
  assert.deepEqual(s.acquire(spec), {
    error: '/etc/emperor/vassals/web.ini:5: `socket = tcp://127.0.0.1:80`: cannot bind (EADDRINUSE): another program listens on port 80',
  });
  busy = false;
  assert.equal(fdOf(s.acquire(spec)), 100);
  // A socket whose listen() fails is dropped: the next acquire binds again.
  const failing = new VassalSocket(() => ({ fd: 7, ready: Promise.resolve('cannot listen: EINVAL'), close: () => undefined }));
  const r = failing.acquire(spec);
  assert.equal('ready' in r ? await r.ready : null, '/etc/emperor/vassals/web.ini:5: `socket = tcp://127.0.0.1:80`: cannot listen: EINVAL');
  assert.equal(failing.holds(7), false);
  assert.equal(failing.address, null);
});

test('socket addresses format back as written', () => {
  for (const text of ['tcp://127.0.0.1:80', 'tcp://[::1]:8080', 'tcp://0.0.0.0:443', 'unix:/run/app.sock']) {
    const r = parseSocketAddress(text);
    assert.ok(r.ok, text);
    if (r.ok) assert.equal(formatSocketAddress(r.value), text);
  }
  for (const bad of ['tcp://[zz::1]:80', 'tcp://1.2.3:80', 'tcp://[::1]:0', 'udp://127.0.0.1:53', 'unix:']) assert.equal(parseSocketAddress(bad).ok, false, bad);
});
