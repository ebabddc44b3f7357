// Health checks (http:// and tcp://) and max-rss, against real processes and real sockets on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, alive, vassalFile, waitFor, withEmperor } from './harness.ts';
import { closeServer, freePort, httpGet, listenLoopback, scrape, valueOf } from './prom.ts';

const MiB = 1024 * 1024;


/** A vassal running test/fixtures/health-server.mjs on `port`, failing while `failFile` exists. */
function healthServer(port: number, failFile: string, keys: Record<string, string | number> = {}): string {
  return vassalFile({
    command: `${process.execPath} ${join(FIXTURES, 'health-server.mjs')}`,
    env: [`PORT=${port}`, `FAIL_FILE=${failFile}`],
    'health-check': `http://127.0.0.1:${port}/health`,
    'health-interval': '200ms',
    'health-timeout': '1s',
    'start-secs': '200ms',
    ...keys,
  });
}

test('health: an endpoint that starts failing is restarted after health-retries failures, with the reason shown', async () => {
  await withEmperor([], async (e) => {
    const port = await freePort();
    const failFile = join(e.root, 'fail');
    e.write('api.ini', healthServer(port, failFile, { 'health-retries': 3 }));
    const up = await e.waitVassal('api', 'RUNNING with a passing check', (v) => v.state === 'RUNNING' && v.health === 'passing');
    const first = up.pids[0] ?? 0;
    assert.ok(first > 0);
    assert.equal(up.restarts, 0);
    assert.equal(up.error, null);
    assert.equal((await httpGet(port, '/health')).status, 200, 'the fixture answers 200 before FAIL_FILE exists');

    writeFileSync(failFile, '');
    // One or two failures: health shows it, but the process is left alone.
    const failing = await e.waitVassal('api', 'health failing', (v) => v.health === 'failing');
    assert.equal(failing.pids[0], first, 'not restarted after the first failure');
    assert.equal(failing.state, 'RUNNING');
    const replaced = await e.waitVassal('api', 'a new pid', (v) => v.pids.length === 1 && v.pids[0] !== first);
    rmSync(failFile);
    assert.match(replaced.error ?? '', /health check|HTTP 500/);
    const back = await e.waitVassal('api', 'RUNNING and passing again', (v) => v.state === 'RUNNING' && v.health === 'passing' && v.pids[0] !== first);
    assert.equal(back.restarts, 1, 'a health restart counts in restarts');
    assert.equal(back.last_exit?.signal, 'SIGTERM', 'stopped with its stop-signal');
    assert.ok(!alive(first), 'the old process is gone');
    assert.match(back.error ?? '', /health check failed 3 times in a row \(http:\/\/127\.0\.0\.1:\d+\/health answered HTTP 500\)/, 'the reason stays in error');

    const out = e.output;
    const one = out.indexOf('health check failed (1 of 3)');
    const two = out.indexOf('health check failed (2 of 3)');
    const three = out.search(/health check failed 3 times in a row \(.*answered HTTP 500\): restarted/);
    assert.ok(one >= 0 && two > one && three > two, `failures 1, 2, then the restart in the emperor output (${one}, ${two}, ${three})`);
  });
});

test('health: a check that never passes keeps the vassal STARTING with "health check not passing yet"', async () => {
  await withEmperor([], async (e) => {
    const closed = await freePort();
    const port = await freePort();
    const failFile = join(e.root, 'fail');
    writeFileSync(failFile, '');
    e.write('closed.ini', vassalFile({ command: 'sleep 100000', 'health-check': `tcp://127.0.0.1:${closed}`, 'health-interval': '200ms', 'start-secs': '100ms' }));
    e.write('sick.ini', healthServer(port, failFile, { 'start-secs': '100ms' }));
    const c = await e.waitVassal('closed', 'an error', (v) => v.error !== null);
    const s = await e.waitVassal('sick', 'an error', (v) => /HTTP 500/.test(v.error ?? ''));
    const pids = { closed: c.pids[0], sick: s.pids[0] };
    // Well past start-secs, with many probes made: still STARTING, never RUNNING, never restarted.
    let sawRunning = '';
    for (const name of ['closed', 'sick'] as const) {
      const v = await e.waitVassal(name, 'up for 1.5 s', (x) => {
        if (x.state === 'RUNNING') sawRunning = name;
        return x.started_at !== null && x.started_at < Date.now() / 1000 - 1.5;
      });
      assert.equal(sawRunning, '', `${name} was never RUNNING`);
      assert.equal(v.state, 'STARTING', `${name} stays STARTING`);
      assert.equal(v.health, 'failing');
      assert.equal(v.restarts, 0, 'a check that never passed restarts nothing');
      assert.equal(v.pids[0], pids[name]);
      assert.match(v.error ?? '', /^health check not passing yet: /);
    }
    assert.match((await e.vassal('closed'))?.error ?? '', /ECONNREFUSED/);
    assert.match((await e.vassal('sick'))?.error ?? '', /answered HTTP 500/);
    assert.match(e.output, /closed\[0\]: STARTING .*waiting for the first health check to pass/);
    // Once it passes, it becomes RUNNING.
    rmSync(failFile);
    const ok = await e.waitVassal('sick', 'RUNNING', (v) => v.state === 'RUNNING' && v.health === 'passing');
    assert.equal(ok.error, null);
    assert.equal(ok.pids[0], pids.sick, 'the same process');
  });
});

test('health: a passing check (http:// and tcp://) makes it RUNNING with health passing and emperor_vassal_health_up 1', async () => {
  const metricsPort = await freePort();
  await withEmperor(['--metrics', `127.0.0.1:${metricsPort}`], async (e) => {
    const port = await freePort();
    const closed = await freePort();
    e.write('api.ini', healthServer(port, join(e.root, 'never-created')));
    e.write('tcpok.ini', vassalFile({ command: 'sleep 100000', 'health-check': `tcp://127.0.0.1:${port}`, 'health-interval': '200ms', 'start-secs': '100ms' }));
    e.write('nope.ini', vassalFile({ command: 'sleep 100000', 'health-check': `tcp://127.0.0.1:${closed}`, 'health-interval': '200ms', 'start-secs': '100ms' }));
    e.write('plain.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    for (const name of ['api', 'tcpok']) {
      const v = await e.waitVassal(name, 'RUNNING', (x) => x.state === 'RUNNING');
      assert.equal(v.health, 'passing', `${name}: RUNNING means passing`);
      assert.equal(v.error, null);
    }
    assert.equal((await e.waitState('plain', 'RUNNING')).health, null, 'no check: health is null');
    await e.waitVassal('nope', 'failing', (v) => v.health === 'failing');
    const exp = await waitFor('the health gauges', async () => {
      const x = await scrape(metricsPort);
      return valueOf(x, 'emperor_vassal_health_up', { vassal: 'nope' }) === 0 && valueOf(x, 'emperor_vassal_health_up', { vassal: 'api' }) === 1 ? x : null;
    });
    assert.equal(valueOf(exp, 'emperor_vassal_health_up', { vassal: 'tcpok' }), 1);
    assert.equal(valueOf(exp, 'emperor_vassal_health_up', { vassal: 'plain' }), undefined);
    assert.equal(valueOf(exp, 'emperor_vassal_up', { vassal: 'api' }), 1);
    assert.equal(valueOf(exp, 'emperor_vassal_up', { vassal: 'nope' }), 0, 'not up while the check has never passed');
    assert.equal(valueOf(exp, 'emperor_vassal_state', { vassal: 'nope', state: 'STARTING' }), 1);
  });
});

test('health: a tcp:// listener that goes away restarts the vassal; back, it is RUNNING again', async () => {
  const listener = await listenLoopback();
  let server = listener.server;
  try {
    await withEmperor([], async (e) => {
      e.write('tcp.ini', vassalFile({ command: 'sleep 100000', 'health-check': `tcp://127.0.0.1:${listener.port}`, 'health-interval': '200ms', 'health-retries': 2, 'start-secs': '100ms' }));
      const up = await e.waitVassal('tcp', 'RUNNING and passing', (v) => v.state === 'RUNNING' && v.health === 'passing');
      const first = up.pids[0] ?? 0;
      await closeServer(server);
      await e.waitVassal('tcp', 'failing', (v) => v.health === 'failing');
      const replaced = await e.waitVassal('tcp', 'a new pid', (v) => v.pids.length === 1 && v.pids[0] !== first);
      assert.equal(replaced.restarts, 1);
      // Without the listener the new process stays STARTING.
      const waiting = await e.waitVassal('tcp', 'not passing yet', (v) => /not passing yet/.test(v.error ?? ''));
      assert.equal(waiting.state, 'STARTING');
      assert.match(waiting.error ?? '', /ECONNREFUSED/);
      server = (await listenLoopback(listener.port)).server;
      const back = await e.waitVassal('tcp', 'RUNNING again', (v) => v.state === 'RUNNING' && v.health === 'passing');
      assert.equal(back.restarts, 1);
      assert.equal(back.pids[0], replaced.pids[0]);
      assert.match(back.error ?? '', /health check failed 2 times in a row \(tcp:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\)/);
      assert.match(e.output, /health check failed 2 times in a row .*: restarted/);
    });
  } finally {
    await closeServer(server);
  }
});

test('max-rss: a vassal that grows past it is restarted gracefully with its stop-signal, the reason shown', async () => {
  await withEmperor(['--sample-interval', '200ms'], async (e) => {
    const once = join(e.root, 'grew');
    const signals = join(e.root, 'signals');
    writeFileSync(signals, '');
    e.write('fat.ini', vassalFile({
      command: `${process.execPath} ${join(FIXTURES, 'grow-memory.mjs')}`,
      env: ['GROW_MB=150', `ONCE_FILE=${once}`, `SIGNAL_LOG=${signals}`],
      'max-rss': '100M',
      'stop-signal': 'INT',
      'stop-timeout': '5s',
      'start-secs': '100ms',
    }));
    const grower = await waitFor('the first run to start growing', () => (existsSync(once) ? Number(readFileSync(once, 'utf8').trim()) : 0));
    const v = await e.waitVassal('fat', 'RUNNING with a new pid', (x) => x.state === 'RUNNING' && x.pids.length === 1 && x.pids[0] !== grower, 15000);
    assert.equal(v.restarts, 1, 'a max-rss restart counts in restarts');
    assert.equal(readFileSync(signals, 'utf8'), `SIGINT ${grower}\n`, 'the stop-signal reached the grown process, nothing else did');
    assert.deepEqual({ code: v.last_exit?.code, signal: v.last_exit?.signal }, { code: 0, signal: null }, 'it exited on its own after the signal');
    assert.ok(!alive(grower));
    assert.match(v.error ?? '', /over max-rss 100 MB/);
    assert.match(e.output, /fat\[0\]: .*using \d+ MB of resident memory, over max-rss 100 MB: restarted/);
    // The new copy stays small, is sampled, and is left alone.
    const small = await e.waitVassal('fat', 'sampled small', (x) => x.rss_bytes !== null && x.pids[0] === v.pids[0]);
    assert.ok((small.rss_bytes ?? Infinity) < 100 * MiB, `rss ${small.rss_bytes}`);
    assert.equal(small.restarts, 1);
  });
});
