// `emperorctl events` and GET /events against a real emperor: a crash, a reload and a fix of a broken file as they
// happen; --since, --json, names; bad input; the HTTP port's methods, paths and token; --web-token's file checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPERORCTL_BIN, EmperorUnderTest, ctl, freePort, vassalFile, waitFor, withEmperor } from './harness.ts';

const SLEEP = vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' });

/** `emperorctl events ARGS` left running; its output grows as events come. */
function follow(stateDir: string, args: string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, [EMPERORCTL_BIN, 'events', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', EMPEROR_STATE_DIR: stateDir } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

test('emperorctl events shows a crash, a reload and a fix of a broken file as they happen', async () => {
  await withEmperor([], async (e) => {
    e.write('web.ini', SLEEP);
    e.write('other.ini', SLEEP);
    const first = (await e.waitState('web', 'RUNNING')).pids[0] ?? 0;
    await e.waitState('other', 'RUNNING');
    const f = follow(e.stateDir, ['--since', '1m', 'web']);
    try {
      // The replayed start says the stream is open: what happens from here on is followed.
      await waitFor('the replayed start', () => /web\[0\]: STARTING -> RUNNING/.test(f.out()), 5000);
      process.kill(first, 'SIGKILL');
      await waitFor(`the crash (got ${f.out()})`, () => /web\[0\]: (WARN )?RUNNING -> \S+ pid=\d+ signal=SIGKILL/.test(f.out()), 5000);
      await e.waitVassal('web', 'to run again', (v) => v.state === 'RUNNING' && v.pids[0] !== first);
      e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms', env: 'V=2' }));
      await waitFor('the reload', () => /web: file changed/.test(f.out()), 5000);
      e.write('web.ini', '[vassal]\ncommand = sleep 100000\nrestart = sometimes\n');
      await waitFor('the broken file', () => /web: ERROR INVALID .*web\.ini:3: `restart`/.test(f.out()), 5000);
      e.write('web.ini', SLEEP);
      await waitFor('the fix', () => /INVALID[\s\S]*web: file changed[\s\S]*-> RUNNING/.test(f.out()), 10000);
      assert.doesNotMatch(f.out(), /other/, 'only the named vassal');
    } finally {
      f.child.kill();
    }
  });
});

test('events --since replays the ring, --json prints one object per line; bad input exits 1 or 2', async () => {
  await withEmperor([], async (e) => {
    e.write('web.ini', SLEEP);
    await e.waitState('web', 'RUNNING');
    const f = follow(e.stateDir, ['--json', '--since', '1m', 'web']);
    try {
      await waitFor('the replayed RUNNING', () => f.out().includes('"state":"RUNNING"'), 5000);
      const objs = f.out().trim().split('\n').map((l) => JSON.parse(l) as { vassal?: string; time: number });
      assert.ok(objs.every((o) => o.vassal === 'web' && typeof o.time === 'number'));
    } finally {
      f.child.kill();
    }
    const badSince = await ctl(e.stateDir, ['events', '--since', 'yesterday']);
    assert.equal(badSince.status, 2);
    assert.match(badSince.stderr, /emperorctl: --since: expected a duration such as 500ms, 30s or 2m, got yesterday/);
    const unknown = await ctl(e.stateDir, ['events', 'nope']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /^emperorctl: no vassal named nope \(known: web\)/);
    const top = await ctl(e.stateDir, ['top']);
    assert.equal(top.status, 2);
    assert.match(top.stderr, /top needs a terminal.*emperorctl status.*emperorctl events/);
  });
});

/** One HTTP request; resolves with status, headers and body. */
function http(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads GET /events until `until` matches what arrived. */
function sse(port: number, path: string, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = `${res.statusCode} ${String(res.headers['content-type'])}\n`;
      res.on('data', (d: Buffer) => {
        text += d.toString();
        if (until(text)) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.setTimeout(10000, () => req.destroy(new Error('no matching event within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

test('the HTTP port: / and /events read-only, 404 and 405, actions by POST with the token (401, 403)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-token-'));
  const token = join(dir, 'token');
  writeFileSync(token, 'abc123\n', { mode: 0o600 });
  const port = await freePort();
  try {
    await withEmperor(['--metrics', `127.0.0.1:${port}`, '--web-token', token], async (e) => {
      e.write('web.ini', SLEEP);
      const v = await e.waitState('web', 'RUNNING');
      const page = await http(port, 'GET', '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /<tr data-name="web"><td>web<\/td><td><span class="state s-RUNNING">RUNNING/);
      assert.match(page.body, /<svg id="timeline-svg"/);
      assert.doesNotMatch(page.body, /<(script|link|img)[^>]+src=/, 'no external assets');
      const stream = await sse(port, '/events?since=1m&names=web', (t) => /"state":"RUNNING"/.test(t));
      assert.match(stream, /^200 text\/event-stream/);
      assert.match(stream, /^data: \{.*"vassal":"web".*\}$/m);
      assert.equal((await http(port, 'GET', '/events?since=soon')).status, 400);
      assert.equal((await http(port, 'GET', '/events?names=nope')).status, 404);
      assert.equal((await http(port, 'GET', '/nope')).status, 404);
      assert.equal((await http(port, 'DELETE', '/')).status, 405);
      assert.equal((await http(port, 'POST', '/events')).status, 405);
      assert.equal((await http(port, 'HEAD', '/events')).status, 200, 'HEAD answers without holding the connection');
      assert.equal((await http(port, 'GET', '/api/vassals/web/restart')).status, 405, 'never by GET');
      const none = await http(port, 'POST', '/api/vassals/web/restart');
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.equal((await http(port, 'POST', '/api/vassals/web/restart', { authorization: 'Bearer wrong' })).status, 403);
      assert.equal((await http(port, 'POST', '/api/vassals/nope/restart', { authorization: 'Bearer abc123' })).status, 404);
      const ok = await http(port, 'POST', '/api/vassals/web/restart', { authorization: 'Bearer abc123' });
      assert.equal(ok.status, 200, ok.body);
      assert.match(ok.body, /"restarting"/);
      await e.waitVassal('web', 'to run a new pid', (x) => x.state === 'RUNNING' && x.pids[0] !== v.pids[0]);
      assert.equal((await http(port, 'GET', '/metrics')).status, 200);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--web-token: a file others can read, or an empty one, stops the start naming the file and the fix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-token-'));
  const token = join(dir, 'token');
  try {
    for (const [text, mode, want] of [
      ['abc\n', 0o644, /--web-token \S+token can be read by others \(mode 644\).*fix: chmod 600 \S+token/],
      ['\n', 0o600, /--web-token \S+token is empty; write one: \(umask 077; head -c 32 \/dev\/urandom \| base64 > \S+token\)/],
    ] as const) {
      writeFileSync(token, text);
      chmodSync(token, mode);
      const e = new EmperorUnderTest(['--web-token', token]);
      const started = e.start().catch(() => null);
      await e.waitExit(15000);
      await started;
      assert.equal(e.exitCode, 1);
      assert.match(e.output, want);
      await e.cleanup();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a client that stops reading is dropped with a note; the emperor keeps serving everyone else', async () => {
  await withEmperor([], async (e) => {
    const sock = createConnection({ path: join(e.stateDir, 'control.sock') });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(JSON.stringify({ v: 1, cmd: 'events', names: [] }) + '\n');
    sock.pause(); // reads nothing from here on
    // Each version of a file with bad keys is about 20 error events (the first 20 problems and a count): 100
    // versions with long key names are far more than the 256 KiB a reader may leave unread.
    const long = 'x'.repeat(200);
    for (let round = 0; round < 10; round++) {
      for (let f = 0; f < 10; f++) e.write(`noisy${f}.ini`, '[vassal]\ncommand = sleep 1\n' + Array.from({ length: 30 }, (_, i) => `bad-${round}-${f}-${i}-${long} = 1`).join('\n') + '\n');
      await waitFor(`round ${round} read`, () => Array.from({ length: 10 }, (_, f) => `bad-${round}-${f}-19-`).every((k) => e.output.includes(k)), 15000);
    }
    assert.equal((await ctl(e.stateDir, ['status', 'noisy0'])).status, 0, 'the emperor still answers');
    let text = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (text += d));
    const ended = new Promise<void>((r) => sock.once('close', () => r()));
    sock.resume();
    await ended;
    const lines = text.trim().split('\n');
    assert.match(lines[0] ?? '', /"ok":true/);
    assert.match(lines.at(-1) ?? '', /\{"v":1,"line":"\[emperor: this client read too slowly: \d+ bytes were waiting; dropped \(reconnect, with --since to catch up\)\]"\}/);
    assert.ok(text.length < 4 * 1024 * 1024, `what was buffered for it stayed bounded (${text.length} bytes)`);
  });
});
