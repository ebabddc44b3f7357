// Vassals that say when they are ready: gunicorn and redis on their own READY=1, a missed watchdog, a ready log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, freePort, httpGet, vassalFile, waitFor, withEmperor, type EmperorUnderTest } from './harness.ts';

/** Debian's python3, where python3-gunicorn lives (a python3 earlier on PATH may not have it). */
const PYTHON = '/usr/bin/python3';
const has = (cmd: string): boolean => spawnSync('sh', ['-c', cmd]).status === 0;

/** Seconds from the instance's spawn to the first stats read that shows it RUNNING. */
async function spawnToRunning(e: EmperorUnderTest, name: string, timeoutMs: number): Promise<number> {
  const v = await e.waitState(name, 'RUNNING', timeoutMs);
  const seenAt = Date.now() / 1000;
  assert.ok(v.started_at !== null);
  return seenAt - v.started_at;
}

test('gunicorn is RUNNING on its own READY=1, long before start-secs, and its STATUS= is shown', { skip: !has(`${PYTHON} -c 'import gunicorn'`) && 'python3-gunicorn is missing' }, async () => {
  await withEmperor([], async (e) => {
    const port = await freePort();
    writeFileSync(join(e.root, 'app.py'), 'def application(environ, start_response):\n    start_response("200 OK", [("Content-Type", "text/plain")])\n    return [b"hello from gunicorn\\n"]\n');
    e.write('web.ini', vassalFile({
      command: `${PYTHON} -m gunicorn --bind 127.0.0.1:${port} --workers 1 app:application`,
      directory: e.root,
      notify: 'true',
      // start-secs would keep it STARTING for 30 s: RUNNING sooner can only come from READY=1.
      'start-secs': '30s',
      'start-timeout': '60s',
    }));
    const seconds = await spawnToRunning(e, 'web', 20000);
    process.stdout.write(`# gunicorn: spawn to RUNNING ${seconds.toFixed(3)} s (start-secs 30 s, start-timeout 60 s)\n`);
    assert.ok(seconds < 10, `RUNNING ${seconds} s after its spawn`);
    assert.equal(await httpGet(port), 'hello from gunicorn\n');
    const v = await e.vassal('web');
    assert.equal(v?.status_text, 'Gunicorn arbiter booted');
  });
});

test('redis-server --supervised systemd is RUNNING on its own READY=1', { skip: !has('command -v redis-server') && 'redis-server is missing' }, async () => {
  await withEmperor([], async (e) => {
    const port = await freePort();
    e.write('redis.ini', vassalFile({
      command: `redis-server --port ${port} --bind 127.0.0.1 --supervised systemd --save "" --appendonly no --dir ${e.root}`,
      notify: 'true',
      'start-secs': '30s',
      'start-timeout': '60s',
    }));
    const seconds = await spawnToRunning(e, 'redis', 20000);
    process.stdout.write(`# redis: spawn to RUNNING ${seconds.toFixed(3)} s (start-secs 30 s, start-timeout 60 s)\n`);
    assert.ok(seconds < 10, `RUNNING ${seconds} s after its spawn`);
    assert.match(e.output, /redis: .*Ready to accept connections/);
  });
});

test('a vassal that stops sending WATCHDOG=1 is restarted within the watchdog period plus a second', async () => {
  await withEmperor([], async (e) => {
    const pings = join(e.root, 'pings');
    e.write('hang.ini', vassalFile({
      command: `${join(FIXTURES, 'watchdog-pinger.py')} ${pings} 4`,
      notify: 'true',
      watchdog: '1s',
      'stop-timeout': '2s',
    }));
    const first = await e.waitState('hang', 'RUNNING', 10000);
    const fired = await e.waitVassal('hang', 'to be restarted by its watchdog', (v) => v.watchdog_restarts >= 1, 15000);
    const firedAt = Date.now() / 1000;
    const lastPing = Math.max(...readFileSync(pings, 'utf8').trim().split('\n').slice(0, 4).map(Number));
    process.stdout.write(`# watchdog: restarted ${(firedAt - lastPing).toFixed(3)} s after the last WATCHDOG=1 (watchdog = 1s)\n`);
    assert.ok(firedAt - lastPing < 2, `restarted ${firedAt - lastPing} s after the last ping`);
    // restarts counts the respawn, which follows the stop the watchdog began.
    const counted = await e.waitVassal('hang', 'the watchdog restart counted in restarts', (v) => v.restarts >= 1, 10000);
    assert.ok(counted.restarts >= 1, 'a watchdog restart counts in restarts');
    assert.ok(fired.pids[0] !== first.pids[0] || fired.state !== 'RUNNING');
    assert.match(e.output, /watchdog fired: no WATCHDOG=1 for 1s; restarted with SIGABRT/);
  });
});

test('ready-log-line: RUNNING when a line matches, on stdout or in a log file', async () => {
  await withEmperor([], async (e) => {
    const script = 'echo booting; sleep 0.3; echo "listening on port 1234" >&2; exec sleep 3600';
    e.write('plain.ini', vassalFile({ command: `/bin/sh -c '${script}'`, 'ready-log-line': 'listening on port \\d+', 'start-secs': '30s', 'start-timeout': '60s' }));
    e.write('logged.ini', vassalFile({ command: `/bin/sh -c '${script}'`, 'ready-log-line': '^listening', log: join(e.root, 'logged.log'), 'start-secs': '30s', 'start-timeout': '60s' }));
    for (const name of ['plain', 'logged']) {
      const seconds = await spawnToRunning(e, name, 15000);
      assert.ok(seconds < 10, `${name}: RUNNING ${seconds} s after its spawn`);
    }
    assert.ok(existsSync(join(e.root, 'logged.log')));
  });
});

test('no READY=1 within start-timeout is a failed start', async () => {
  await withEmperor([], async (e) => {
    e.write('mute.ini', vassalFile({ command: 'sleep 3600', notify: 'true', 'start-timeout': '1500ms', 'start-retries': '1' }));
    const v = await e.waitState('mute', 'FATAL', 15000);
    assert.match(v.error ?? '', /not ready 1\.5s after start \(start-timeout\)/);
  });
});

test('a bad readiness key: INVALID with its dialect known, and `emperor check` names the file and line', async () => {
  await withEmperor([], async (e) => {
    const file = e.write('bad.ini', vassalFile({ command: 'sleep 3600', notify: 'true', watchdog: 'soon' }));
    const v = await e.waitState('bad', 'INVALID', 10000);
    assert.equal(v.dialect, 'vassal', 'the dialect is known as soon as the section is');
    assert.equal(v.error, `${file}:4: \`watchdog\`: expected a duration such as \`250ms\`, \`10s\`, \`5m\` or \`1h\` (a bare number is seconds), got \`soon\``);
    const check = spawnSync(process.execPath, [join(FIXTURES, '../../bin/emperor.js'), 'check', file], { encoding: 'utf8' });
    assert.equal(check.status, 1);
    assert.ok((check.stdout + check.stderr).startsWith(`${v.error}\n`), check.stdout + check.stderr);
  });
});
