// The two channels vassals speak on, against real processes: the notify socket (routed by sender pid) and the uWSGI Emperor pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotifyReceiver } from '../../src/io/notify-receiver.ts';
import { EmperorChannel } from '../../src/io/emperor-channel.ts';
import { waitFor } from './harness.ts';

const PY = '/usr/bin/python3';
const SEND = 'import os,socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), os.environ["NOTIFY_SOCKET"])';
// A sender that stays a moment after sending: one gone before its datagram is read cannot be placed (README, Readiness).
const SEND_AND_STAY = `${SEND}; import time; time.sleep(1.5)`;

test('notify socket: messages from an instance\'s process group reach it with the sender\'s pid; a stranger\'s are dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-notify-'));
  const opened = NotifyReceiver.open(join(dir, 'notify.sock'));
  assert.ok(!('error' in opened), 'error' in opened ? opened.error : '');
  const receiver = opened as NotifyReceiver;
  let group = 0;
  try {
    assert.equal(statSync(receiver.path).mode & 0o777, 0o666, 'any user can send: the sender pid decides');
    const env = { ...process.env, NOTIFY_SOCKET: receiver.path };
    // The instance: a shell leading its own group, whose child (another pid of the group) sends.
    const leader = spawn('/bin/sh', ['-c', `sleep 0.3; ${PY} -c '${SEND_AND_STAY}' READY=1; ${PY} -c '${SEND_AND_STAY}' 'STATUS=up'`], { detached: true, env, stdio: 'ignore' });
    group = leader.pid ?? 0;
    const got: Array<{ message: string; pid: number }> = [];
    receiver.watch(leader.pid as number, (message, pid) => got.push({ message, pid }));
    // A stranger (not of that group) says READY=1 too.
    spawnSync(PY, ['-c', SEND, 'READY=1'], { env });
    await waitFor('two messages', () => (got.length >= 2 ? true : null), 10000);
    assert.deepEqual(got.map((g) => g.message), ['READY=1', 'STATUS=up']);
    assert.ok(got.every((g) => g.pid > 0 && g.pid !== leader.pid), 'each from a child of the leader, by its own pid');
    assert.equal(receiver.dropped, 1, "the stranger's message");
  } finally {
    // The senders stay a moment after sending: end the group now, not a second later.
    if (group > 0) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('uWSGI Emperor pipe: the child speaks on fd 3 (UWSGI_EMPEROR_FD) and hears the emperor; the emperor end is not inherited elsewhere', async () => {
  const bytes: number[] = [];
  const ch = EmperorChannel.open((b) => bytes.push(b));
  assert.ok(!('error' in ch));
  const channel = ch as EmperorChannel;
  const script = 'import os; fd=int(os.environ["UWSGI_EMPEROR_FD"]); os.write(fd, bytes([1, 5])); b=os.read(fd, 1); os.write(fd, bytes([22 if b == bytes([2]) else 99]))';
  const childSocket = readlinkSync(`/proc/self/fd/${channel.childEnd}`);
  const child = spawn(PY, ['-c', script], { env: { ...process.env, UWSGI_EMPEROR_FD: '3' }, stdio: ['ignore', 'ignore', 'inherit', channel.childEnd] });
  const exited = new Promise((r) => child.once('exit', r));
  // Another child started while the emperor still holds the child's end does not get it: close-on-exec.
  const other = spawnSync('/bin/sh', ['-c', 'ls -l /proc/$$/fd'], { encoding: 'utf8' });
  assert.match(childSocket, /^socket:\[\d+\]$/);
  assert.ok(!other.stdout.includes(childSocket), `another child does not hold ${childSocket}:\n${other.stdout}`);
  channel.handedOver();
  await waitFor('1 and 5', () => (bytes.length >= 2 ? true : null), 10000);
  assert.equal(channel.send(2), true);
  await waitFor('22 back', () => (bytes.length >= 3 ? true : null), 10000);
  assert.deepEqual(bytes, [1, 5, 22]);
  await exited;
  channel.close();
});
