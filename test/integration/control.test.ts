// The emperor's sockets from outside: the stats document's schema, socket modes, a second emperor on the
// same sockets, and control clients that misbehave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlResponse } from '../../src/control/protocol.ts';
import { EMPEROR_BIN, EmperorUnderTest, alive, ctl, vassalFile, waitFor, withEmperor as withEmperorIn } from './harness.ts';

const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'INVALID'];
const VASSAL_KEYS = ['name', 'file', 'dialect', 'state', 'pids', 'started_at', 'restarts', 'last_exit', 'backoff_until', 'cpu_percent', 'rss_bytes', 'health', 'error', 'status_text', 'watchdog_restarts', 'instances'];
const INSTANCE_KEYS = ['index', 'pid', 'state', 'started_at', 'restarts'];

type Json = Record<string, unknown>;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const numOrNull = (x: unknown): boolean => x === null || isNum(x);
const obj = (x: unknown, where: string): Json => (assert.ok(typeof x === 'object' && x !== null && !Array.isArray(x), `${where} is an object`), x as Json);
const keys = (o: Json, want: string[], where: string): void => assert.deepEqual(Object.keys(o).sort(), [...want].sort(), `${where} keys`);

// This file's tests pass the callback first.
const withEmperor = (fn: (e: EmperorUnderTest) => Promise<void>, args: string[] = []): Promise<void> => withEmperorIn(args, fn);

/** A raw control-socket client that collects response lines. */
class LineClient {
  readonly sock: Socket;
  private buffer = '';
  private readonly lines: string[] = [];
  closed = false;
  constructor(path: string) {
    this.sock = createConnection({ path });
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d: string) => {
      this.buffer += d;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        this.lines.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
      }
    });
    this.sock.on('error', () => {});
    this.sock.on('close', () => (this.closed = true));
  }
  connected(): Promise<void> {
    return new Promise((res, rej) => {
      this.sock.once('connect', () => res());
      this.sock.once('error', rej);
    });
  }
  send(text: string): void {
    this.sock.write(text);
  }
  async next(what: string, timeoutMs = 5000): Promise<ControlResponse> {
    return JSON.parse(await waitFor(what, () => this.lines.shift(), timeoutMs, 5)) as ControlResponse;
  }
}

const errorOf = (msg: ControlResponse): { code: string; message: string } => {
  if ('ok' in msg && !msg.ok) return msg.error;
  assert.fail(`expected an error response, got ${JSON.stringify(msg)}`);
};
const resultOf = (msg: ControlResponse): Json => {
  if ('ok' in msg && msg.ok) return obj(msg.result, 'result');
  assert.fail(`expected an ok response, got ${JSON.stringify(msg)}`);
};

test('stats: every key of the document with its type; socket modes 0664 and 0600', async () => {
  await withEmperor(async (e) => {
    const t0 = Date.now() / 1000;
    e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    e.write('crash.ini', vassalFile({ command: "sh -c 'exit 3'", 'start-secs': '100ms', backoff: '30s' }));
    e.write('bad.ini', '[vassal]\ncommand = sleep 1\nrestart = sometimes\n');
    const first = await e.waitState('web', 'RUNNING');
    process.kill(first.pids[0] ?? 0, 'SIGKILL');
    await e.waitVassal('web', 'restarted after SIGKILL', (v) => v.state === 'RUNNING' && v.pids[0] !== first.pids[0]);
    await e.waitState('crash', 'BACKOFF');
    await e.waitState('bad', 'INVALID');

    const raw = obj(JSON.parse(JSON.stringify(await e.stats())), 'stats');
    keys(raw, ['version', 'pid', 'started_at', 'vassals_dir', 'totals', 'vassals'], 'document');
    assert.match(String(raw.version), /^\d+\.\d+\.\d+/);
    assert.equal(raw.pid, e.pid);
    assert.ok(isNum(raw.started_at) && raw.started_at > t0 - 30 && raw.started_at <= Date.now() / 1000);
    assert.equal(raw.vassals_dir, e.vassals);
    const totals = obj(raw.totals, 'totals');
    keys(totals, ['vassals', ...STATES], 'totals');
    for (const k of Object.keys(totals)) assert.ok(isNum(totals[k]), `totals.${k} is a number`);
    assert.deepEqual({ vassals: totals.vassals, RUNNING: totals.RUNNING, BACKOFF: totals.BACKOFF, INVALID: totals.INVALID }, { vassals: 3, RUNNING: 1, BACKOFF: 1, INVALID: 1 });
    assert.equal(STATES.reduce((n, s) => n + Number(totals[s]), 0), 3);

    assert.ok(Array.isArray(raw.vassals));
    const byName = new Map<string, Json>();
    for (const x of raw.vassals as unknown[]) {
      const v = obj(x, 'vassal');
      keys(v, VASSAL_KEYS, `vassal ${String(v.name)}`);
      byName.set(String(v.name), v);
      assert.equal(typeof v.file, 'string');
      assert.ok(STATES.includes(String(v.state)));
      assert.ok(Array.isArray(v.pids) && (v.pids as unknown[]).every(isNum));
      assert.ok(numOrNull(v.started_at) && numOrNull(v.backoff_until) && numOrNull(v.cpu_percent) && numOrNull(v.rss_bytes));
      assert.ok(isNum(v.restarts) && Number.isInteger(v.restarts) && v.restarts >= 0);
      assert.ok(v.health === null || ['passing', 'failing', 'unknown'].includes(String(v.health)));
      assert.ok(v.error === null || typeof v.error === 'string');
      if (v.last_exit !== null) {
        const le = obj(v.last_exit, 'last_exit');
        keys(le, ['code', 'signal', 'at'], 'last_exit');
        assert.ok(numOrNull(le.code) && (le.signal === null || typeof le.signal === 'string') && isNum(le.at));
      }
      assert.ok(Array.isArray(v.instances));
      for (const y of v.instances as unknown[]) {
        const i = obj(y, 'instance');
        keys(i, INSTANCE_KEYS, `instance of ${String(v.name)}`);
        assert.ok(isNum(i.index) && numOrNull(i.pid) && numOrNull(i.started_at) && isNum(i.restarts));
        assert.ok(STATES.includes(String(i.state)) && i.state !== 'INVALID');
      }
    }
    assert.deepEqual([...byName.keys()], ['bad', 'crash', 'web'], 'sorted by name');

    const web = byName.get('web') ?? {};
    assert.equal(web.dialect, 'vassal');
    assert.equal(web.file, join(e.vassals, 'web.ini'));
    assert.equal(web.restarts, 1, 'a crash of a RUNNING vassal is one restart');
    assert.deepEqual({ ...obj(web.last_exit, 'web.last_exit'), at: 0 }, { code: null, signal: 'SIGKILL', at: 0 });
    assert.ok(isNum(obj(web.last_exit, 'last_exit').at));
    assert.equal(web.backoff_until, null);
    assert.equal(web.error, null);
    const inst = obj((web.instances as unknown[])[0], 'web instance');
    assert.deepEqual({ index: inst.index, pid: inst.pid, state: inst.state, restarts: inst.restarts }, { index: 0, pid: (web.pids as number[])[0], state: 'RUNNING', restarts: 1 });
    assert.ok(isNum(inst.started_at) && inst.started_at === web.started_at);

    const crash = byName.get('crash') ?? {};
    const exit = obj(crash.last_exit, 'crash.last_exit');
    assert.equal(exit.code, 3);
    assert.equal(exit.signal, null);
    assert.ok(isNum(exit.at) && exit.at >= t0 - 1);
    assert.ok(isNum(crash.backoff_until) && crash.backoff_until > exit.at, 'backoff_until is a time after the exit');
    assert.deepEqual(crash.pids, []);
    assert.equal(obj((crash.instances as unknown[])[0], 'crash instance').state, 'BACKOFF');

    const bad = byName.get('bad') ?? {};
    assert.match(String(bad.error), new RegExp(`^${join(e.vassals, 'bad.ini')}:3: `));
    assert.deepEqual(bad.pids, []);

    assert.equal(statSync(e.statsPath).mode & 0o777, 0o664);
    assert.equal(statSync(join(e.stateDir, 'control.sock')).mode & 0o777, 0o600);
  });
});

test('stats: a RUNNING vassal gets cpu_percent and rss_bytes from sampling', async () => {
  await withEmperor(async (e) => {
    e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    await e.waitState('web', 'RUNNING');
    const v = await e.waitVassal('web', 'sampled', (x) => x.rss_bytes !== null && x.cpu_percent !== null, 5000);
    assert.ok(isNum(v.rss_bytes) && v.rss_bytes > 0);
    assert.ok(isNum(v.cpu_percent) && v.cpu_percent >= 0);
  }, ['--sample-interval', '200ms']);
});

test('a second emperor on the same sockets is refused; the first keeps serving and removes its sockets on exit', async () => {
  const e = await new EmperorUnderTest(['--metrics', 'off']).start();
  const other = mkdtempSync(join(tmpdir(), 'emperor-second-'));
  const control = join(e.stateDir, 'control.sock');
  const second = (args: string[]): Promise<{ code: number | null; stderr: string }> =>
    new Promise((res) => {
      const child = spawn(process.execPath, [EMPEROR_BIN, '--vassals', e.vassals, '--state-dir', join(other, 'state'), '--metrics', 'off', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      child.on('close', (code) => {
        clearTimeout(timer);
        res({ code, stderr });
      });
    });
  try {
    e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const pid = (await e.waitState('web', 'RUNNING')).pids[0] ?? 0;
    const both = await second(['--stats', e.statsPath, '--control', control]);
    assert.equal(both.code, 1, both.stderr);
    assert.match(both.stderr, new RegExp(`${e.statsPath.replace(/[.]/g, '\\.')}: it is in use`));
    const ownStats = join(other, 'stats.sock');
    const onlyControl = await second(['--stats', ownStats, '--control', control]);
    assert.equal(onlyControl.code, 1, onlyControl.stderr);
    assert.match(onlyControl.stderr, new RegExp(`${control.replace(/[.]/g, '\\.')}: it is in use`));
    assert.ok(!existsSync(ownStats), 'the refused emperor removed the stats socket it had opened');

    assert.deepEqual((await e.vassal('web'))?.pids, [pid], 'the first emperor still serves stats');
    const status = await ctl(e.stateDir, ['status', '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.ok(alive(pid), 'the vassal was not touched');

    e.child?.kill('SIGTERM');
    await e.waitExit();
    assert.equal(e.exitCode, 0);
    assert.ok(!existsSync(e.statsPath), 'stats socket removed');
    assert.ok(!existsSync(control), 'control socket removed');
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    rmSync(other, { recursive: true, force: true });
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('abusive control clients get errors or are dropped; nobody else waits; the emperor keeps serving', async () => {
  await withEmperor(async (e) => {
    e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    await e.waitState('web', 'RUNNING');
    const path = join(e.stateDir, 'control.sock');

    // Garbage, then a valid request on the same connection; three requests in one write, three answers in order.
    const a = new LineClient(path);
    await a.connected();
    a.send('hello there\n');
    assert.equal(errorOf(await a.next('an answer to garbage')).code, 'bad-request');
    a.send('[1,2]\n{"v":1,"cmd":"frobnicate"}\n{"v":1,"cmd":"start"}\n');
    for (const what of ['array', 'unknown cmd', 'start without names']) assert.equal(errorOf(await a.next(what)).code, 'bad-request', what);
    a.send('{"v":1,"cmd":"status"}\n');
    assert.ok(Array.isArray(resultOf(await a.next('status after garbage')).vassals));
    a.send(`{"v":1,"cmd":"status","pad":"${'x'.repeat(60000)}"}\n`);
    assert.ok(Array.isArray(resultOf(await a.next('a 60 KB request is within the limit')).vassals));

    // Wrong protocol versions.
    a.send('{"v":2,"cmd":"status"}\n{"cmd":"status"}\n');
    const v2 = errorOf(await a.next('v2 answer'));
    assert.equal(v2.code, 'version');
    assert.match(v2.message, /2/);
    assert.equal(errorOf(await a.next('no v answer')).code, 'version');
    assert.ok(!a.closed);

    // Half a line, then silence: other clients are answered at once.
    const half = new LineClient(path);
    await half.connected();
    half.send('{"v":1,"cmd":"sta');
    const b = new LineClient(path);
    await b.connected();
    const t = Date.now();
    b.send('{"v":1,"cmd":"status"}\n');
    resultOf(await b.next('status beside a silent client', 1000));
    assert.ok(Date.now() - t < 1000);
    const viaCtl = await ctl(e.stateDir, ['stop', 'web']);
    assert.equal(viaCtl.status, 0, viaCtl.stderr);
    assert.ok(!half.closed, 'a slow client is not dropped at once');

    // A line over 64 KiB: an error, then the connection is dropped.
    const big = new LineClient(path);
    await big.connected();
    big.send('x'.repeat(70 * 1024) + '\n');
    const tooLong = errorOf(await big.next('an answer to a huge line'));
    assert.equal(tooLong.code, 'bad-request');
    assert.match(tooLong.message, /longer than 65536 bytes/);
    await waitFor('the huge client to be dropped', () => big.closed, 5000);

    // Clients that hang up mid-request, or before reading the answer.
    for (const text of ['{"v":1,"cmd":"sta', '{"v":1,"cmd":"status"}\n', '{"v":1,"cmd":"logs","name":"web","lines":5,"follow":true}\n', '{"v":1,"cmd":"start","names":["web"]}\n']) {
      const c = new LineClient(path);
      await c.connected();
      c.send(text);
      c.sock.destroy();
    }
    await e.waitState('web', 'RUNNING');
    half.sock.destroy();
    a.sock.destroy();
    b.sock.destroy();
    assert.equal((await e.stats()).pid, e.pid, 'the emperor still serves stats');
    const after = new LineClient(path);
    await after.connected();
    after.send('{"v":1,"cmd":"status"}\n');
    resultOf(await after.next('status at the end'));
    after.sock.destroy();
    assert.ok(alive(e.pid));
  });
});

test('a request line over 64 KiB in bytes (multi-byte characters) is refused too', async () => {
  await withEmperor(async (e) => {
    const big = new LineClient(join(e.stateDir, 'control.sock'));
    await big.connected();
    big.send('é'.repeat(40000)); // 80000 bytes, 40000 UTF-16 units, no newline yet
    const err = errorOf(await big.next('an answer to an 80000-byte line', 3000));
    assert.match(err.message, /longer than 65536 bytes/);
    await waitFor('the client to be dropped', () => big.closed, 3000);
  });
});

test('a logs -f client that stops reading is not sent a flood it can never catch up with', async () => {
  await withEmperor(async (e) => {
    const go = join(e.root, 'go');
    const script = `while [ ! -e ${go} ]; do sleep 0.05; done; yes ${'x'.repeat(1000)} | head -n 100000; echo flood-done; trap "echo marker" USR1; while :; do sleep 0.1; done`;
    e.write('flood.ini', vassalFile({ command: `sh -c '${script}'`, 'start-secs': '100ms' }));
    const pid = (await e.waitState('flood', 'RUNNING')).pids[0] ?? 0;
    const path = join(e.stateDir, 'control.sock');
    const stalled = new LineClient(path);
    await stalled.connected();
    stalled.send('{"v":1,"cmd":"logs","name":"flood","lines":1,"follow":true}\n');
    resultOf(await stalled.next('the follow answer'));
    stalled.sock.pause(); // like `emperorctl logs -f flood | less` with the pager's screen full
    writeFileSync(go, '');
    const probe = new LineClient(path);
    await probe.connected();
    await waitFor('100 MB of flood to pass', async () => {
      probe.send('{"v":1,"cmd":"logs","name":"flood","lines":1}\n');
      return (resultOf(await probe.next('logs')).lines as string[])[0] === 'flood-done';
    }, 60000, 100);
    probe.sock.destroy();
    let received = 0;
    let marker = false;
    stalled.sock.removeAllListeners('data');
    stalled.sock.on('data', (d: string) => {
      received += d.split('\n').length - 1;
      marker ||= d.includes('marker');
    });
    stalled.sock.resume();
    await waitFor('the stalled client to catch up or be dropped', () => {
      process.kill(pid, 'SIGUSR1');
      return marker || stalled.closed;
    }, 30000, 200);
    stalled.sock.destroy();
    assert.ok(received < 50000, `the emperor held ${received} lines (~${Math.round(received / 1000)} MB) for a client that did not read`);
  });
});
