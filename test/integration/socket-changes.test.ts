// `socket` under change: a new address on the same port, a new port that cannot be bound, the
// restart count across a rolling replacement, and never more than one process beyond `instances`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, vassalFile, waitFor, withEmperor, freePort, httpGet } from './harness.ts';

const APP = join(ROOT, 'vassals.example/apps/socket-http.mjs');

async function listenOn(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return s;
}



test('a new address on the same port restarts every instance at once; a port that cannot be bound stops the roll and the old instances serve', async () => {
  const port = await freePort();
  await withEmperor([], async (e) => {
    const keys = { command: `node ${APP}`, instances: 2, 'start-secs': '300ms', 'stop-signal': 'TERM' };
    e.write('app.ini', vassalFile({ ...keys, socket: `tcp://127.0.0.1:${port}` }));
    const first = await e.waitVassal('app', 'RUNNING with 2 pids', (v) => v.state === 'RUNNING' && v.pids.length === 2);
    assert.match(await httpGet(port), /hello from pid/);
    // 127.0.0.1:P -> 0.0.0.0:P: the old processes hold the port, so no replacement could bind beside them.
    e.write('app.ini', vassalFile({ ...keys, socket: `tcp://0.0.0.0:${port}`, env: 'APP_VERSION=2' }));
    await e.waitVassal('app', 'two new pids, RUNNING', (v) => v.state === 'RUNNING' && v.pids.length === 2 && v.pids.every((p) => !first.pids.includes(p)), 20000);
    assert.match(await httpGet(port), /version 2/);
    assert.match(e.output, new RegExp(`socket changes from tcp://127\\.0\\.0\\.1:${port} to tcp://0\\.0\\.0\\.0:${port} on the same port: every instance stops`));
    // A port another program holds: the roll stops at the first replacement; the old instances still serve.
    const other = await freePort();
    const blocker = await listenOn(other);
    try {
      const before = (await e.vassal('app'))?.pids ?? [];
      e.write('app.ini', vassalFile({ ...keys, socket: `tcp://127.0.0.1:${other}`, env: 'APP_VERSION=3' }));
      const stopped = await e.waitVassal('app', 'the roll stopped', (v) => /rolling restart stopped: .*EADDRINUSE/.test(v.error ?? ''), 20000);
      assert.match(stopped.error ?? '', new RegExp(`app\\.ini:\\d+: \`socket = tcp://127\\.0\\.0\\.1:${other}\`: cannot bind \\(EADDRINUSE\\)`));
      assert.deepEqual(stopped.pids.filter((p) => before.includes(p)).length, 2, 'the old instances still run');
      assert.match(await httpGet(port), /version 2/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

test('a rolling replacement keeps the restart count and never runs more than one process beyond instances', async () => {
  const port = await freePort();
  const marker = `drain-${process.pid}-${Date.now()}`;
  // Processes of this vassal, from /proc (whatever the stats say).
  const live = (): number[] =>
    readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker) && !readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.startsWith('Z');
      } catch {
        return false;
      }
    });
  await withEmperor([], async (e) => {
    const keys = { command: `node ${join(FIXTURES, 'slow-drain.mjs')} ${marker}`, instances: 3, 'start-secs': '200ms', socket: `tcp://127.0.0.1:${port}` };
    e.write('d.ini', vassalFile({ ...keys, env: 'DRAIN_MS=1500' }));
    const first = await e.waitVassal('d', 'RUNNING with 3 pids', (v) => v.state === 'RUNNING' && v.pids.length === 3);
    process.kill(first.pids[0] ?? 0, 'SIGKILL');
    const crashed = await e.waitVassal('d', 'back after a crash', (v) => v.state === 'RUNNING' && v.restarts === 1 && v.pids.length === 3);
    e.write('d.ini', vassalFile({ ...keys, env: 'DRAIN_MS=1501' }));
    let most = 0;
    await waitFor('every instance replaced', async () => {
      most = Math.max(most, live().length);
      const v = await e.vassal('d');
      return v !== undefined && v.state === 'RUNNING' && v.pids.length === 3 && v.pids.every((p) => !crashed.pids.includes(p)) && live().length === 3 ? v : null;
    }, 30000);
    assert.ok(most <= 4, `at most instances + 1 processes at once, saw ${most}`);
    assert.ok(most === 4, 'a replacement did run beside an old instance');
    const after = await e.vassal('d');
    assert.equal(after?.restarts, 1, 'the restart count survives the roll');
  });
});
