// The Prometheus endpoint (SPEC section 9) scraped from a real emperor on a free loopback port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EmperorUnderTest, FIXTURES, vassalFile, waitFor } from './harness.ts';
import {
  closeServer,
  connectOutcome,
  find,
  freePort,
  httpGet,
  listenLoopback,
  listeningSockets,
  onPath,
  runWithInput,
  scrape,
  valueOf,
  type Exposition,
} from './prom.ts';
import { VASSAL_STATES } from '../../src/core/states.ts';

const MiB = 1024 * 1024;

/** Runs `fn` against an emperor serving metrics on a free loopback port; cleanup must leave nothing. */
async function withMetrics(extra: string[], fn: (e: EmperorUnderTest, port: number) => Promise<void>): Promise<void> {
  const port = await freePort();
  const e = await new EmperorUnderTest(['--metrics', `127.0.0.1:${port}`, ...extra]).start();
  try {
    await waitFor('the metrics endpoint to answer /healthz', async () => (await httpGet(port, '/healthz')).status === 200, 10000);
    await fn(e, port);
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    const left = await e.cleanup();
    assert.deepEqual(left, [], 'the emperor left processes behind');
  }
}

/** SPEC section 9's families, with the type each must have and the labels of its samples. */
const SPEC_FAMILIES: ReadonlyArray<{ name: string; type: 'gauge' | 'counter'; labels: string[] }> = [
  { name: 'emperor_vassals', type: 'gauge', labels: ['state'] },
  { name: 'emperor_vassal_up', type: 'gauge', labels: ['vassal'] },
  { name: 'emperor_vassal_state', type: 'gauge', labels: ['state', 'vassal'] },
  { name: 'emperor_vassal_restarts_total', type: 'counter', labels: ['vassal'] },
  { name: 'emperor_vassal_start_time_seconds', type: 'gauge', labels: ['vassal'] },
  { name: 'emperor_vassal_cpu_seconds_total', type: 'counter', labels: ['vassal'] },
  { name: 'emperor_vassal_memory_rss_bytes', type: 'gauge', labels: ['vassal'] },
  { name: 'emperor_vassal_last_exit_code', type: 'gauge', labels: ['vassal'] },
  { name: 'emperor_vassal_health_up', type: 'gauge', labels: ['vassal'] },
  { name: 'emperor_config_errors', type: 'gauge', labels: ['vassal'] },
];

/** prom-client's defaults that an operator's dashboards rely on. */
const DEFAULT_FAMILIES = [
  'process_cpu_user_seconds_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'process_open_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_version_info',
];

/** Every series of one vassal, whatever the family. */
const seriesOf = (exp: Exposition, vassal: string): string[] =>
  exp.samples.filter((s) => s.labels.vassal === vassal).map((s) => `${s.name}${JSON.stringify(s.labels)}`);

/**
 * A fleet with one vassal in each interesting situation: RUNNING without a health check,
 * RUNNING with a passing tcp:// check, EXITED with code 7, INVALID. Resolves once all are there
 * and the running ones have been sampled.
 */
async function fleet(e: EmperorUnderTest, port: number, healthPort: number): Promise<Exposition & { text: string }> {
  e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
  e.write('checked.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms', 'health-check': `tcp://127.0.0.1:${healthPort}`, 'health-interval': '200ms' }));
  e.write('done.ini', vassalFile({ command: `sh -c 'sleep 1.2; exit 7'`, 'start-secs': '100ms', restart: 'never' }));
  e.write('broken.ini', '[vassal]\ncommand = sleep 100000\nno-such-key = 1\n');
  await e.waitState('web', 'RUNNING');
  await e.waitVassal('checked', 'RUNNING with a passing check', (v) => v.state === 'RUNNING' && v.health === 'passing');
  await e.waitState('done', 'EXITED');
  await e.waitState('broken', 'INVALID');
  return waitFor('web and checked to be sampled in /metrics', async () => {
    const exp = await scrape(port);
    const sampled = ['web', 'checked'].every((v) => (valueOf(exp, 'emperor_vassal_memory_rss_bytes', { vassal: v }) ?? 0) > 0);
    return sampled ? exp : null;
  });
}

test('metrics: every SPEC metric is served with HELP and TYPE, counters end in _total, values follow the stats', async () => {
  const health = await listenLoopback();
  try {
    await withMetrics(['--sample-interval', '200ms'], async (e, port) => {
      const exp = await fleet(e, port, health.port);
      const doc = await e.stats();

      for (const spec of SPEC_FAMILIES) {
        const f = exp.families.get(spec.name);
        assert.ok(f !== undefined, `${spec.name} is served`);
        assert.ok(f.help !== null && f.help.length > 0, `${spec.name} has a HELP line`);
        assert.equal(f.type, spec.type, `${spec.name} has TYPE ${spec.type}`);
        assert.ok(f.samples.length > 0, `${spec.name} has samples`);
        for (const s of f.samples) assert.deepEqual(Object.keys(s.labels).sort(), spec.labels, `${spec.name} labels`);
      }
      for (const name of DEFAULT_FAMILIES) {
        const f = exp.families.get(name);
        assert.ok(f !== undefined && f.samples.length > 0, `default metric ${name} is served`);
      }
      const names = [...exp.families.keys()];
      assert.ok(names.filter((n) => n.startsWith('process_')).length >= 5, 'process_* defaults');
      assert.ok(names.filter((n) => n.startsWith('nodejs_')).length >= 5, 'nodejs_* defaults');
      const started = valueOf(exp, 'process_start_time_seconds') ?? 0;
      assert.ok(Math.abs(started - doc.started_at) < 5, `process_start_time_seconds ${started} is the emperor's (${doc.started_at})`);

      for (const f of exp.families.values()) {
        assert.ok(f.help !== null, `${f.name} has a HELP line`);
        assert.ok(f.type !== null, `${f.name} has a TYPE line`);
        if (f.type === 'counter') assert.match(f.name, /_total$/, `counter ${f.name} ends in _total`);
        if (f.name.startsWith('emperor_') && f.name.endsWith('_total')) assert.equal(f.type, 'counter', `${f.name} is a counter`);
      }

      // Per vassal: exactly one state is 1 and it is the stats' state; up only while RUNNING.
      assert.deepEqual(doc.vassals.map((v) => v.name), ['broken', 'checked', 'done', 'web']);
      for (const v of doc.vassals) {
        const ones = find(exp, 'emperor_vassal_state', { vassal: v.name }).filter((s) => s.value === 1).map((s) => s.labels.state);
        assert.deepEqual(ones, [v.state], `${v.name}: emperor_vassal_state is 1 only for ${v.state}`);
        for (const s of VASSAL_STATES) {
          assert.equal(valueOf(exp, 'emperor_vassal_state', { vassal: v.name, state: s }), v.state === s ? 1 : 0, `${v.name} state ${s}`);
        }
        assert.equal(valueOf(exp, 'emperor_vassal_up', { vassal: v.name }), v.state === 'RUNNING' ? 1 : 0, `${v.name}: up only while RUNNING`);
        assert.equal(valueOf(exp, 'emperor_vassal_restarts_total', { vassal: v.name }), v.restarts, `${v.name}: restarts as in the stats`);
      }
      for (const s of VASSAL_STATES) assert.equal(valueOf(exp, 'emperor_vassals', { state: s }), doc.totals[s] ?? 0, `emperor_vassals{state="${s}"}`);
      assert.equal(valueOf(exp, 'emperor_vassals', { state: 'RUNNING' }), 2);

      const web = doc.vassals.find((v) => v.name === 'web');
      assert.ok(web !== undefined && web.started_at !== null);
      const startTime = valueOf(exp, 'emperor_vassal_start_time_seconds', { vassal: 'web' }) ?? 0;
      assert.ok(Math.abs(startTime - web.started_at) < 0.01, `start time ${startTime} vs stats ${web.started_at}`);
      assert.ok(Math.abs(startTime - Date.now() / 1000) < 60, 'start time is Unix seconds');
      assert.equal(valueOf(exp, 'emperor_vassal_last_exit_code', { vassal: 'done' }), 7);
      assert.ok((valueOf(exp, 'emperor_vassal_cpu_seconds_total', { vassal: 'web' }) ?? -1) >= 0);
      assert.equal(valueOf(exp, 'emperor_vassal_health_up', { vassal: 'checked' }), 1, 'a passing check is up');
      assert.equal(valueOf(exp, 'emperor_vassal_health_up', { vassal: 'web' }), undefined, 'no health_up without a health check');
      assert.ok((valueOf(exp, 'emperor_config_errors', { vassal: 'broken' }) ?? 0) >= 1, 'an INVALID file counts its errors');
      assert.equal(valueOf(exp, 'emperor_config_errors', { vassal: 'web' }), 0);
    });
  } finally {
    await closeServer(health.server);
  }
});

test('metrics: emperor_vassal_restarts_total grows when a RUNNING vassal is killed', async () => {
  await withMetrics([], async (e, port) => {
    e.write('w.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const first = (await e.waitState('w', 'RUNNING')).pids[0] ?? 0;
    assert.ok(first > 0);
    const before = await scrape(port);
    assert.equal(valueOf(before, 'emperor_vassal_restarts_total', { vassal: 'w' }), 0);
    assert.equal(valueOf(before, 'emperor_vassal_up', { vassal: 'w' }), 1);
    // Up for more than a second: its death is a crash to restart, not a failed start.
    await waitFor('1 s of uptime', async () => ((await e.vassal('w'))?.started_at ?? Infinity) < Date.now() / 1000 - 1.1);
    process.kill(first, 'SIGKILL');
    const v = await e.waitVassal('w', 'respawned and RUNNING', (x) => x.state === 'RUNNING' && x.pids.length === 1 && x.pids[0] !== first);
    assert.equal(v.restarts, 1);
    const after = await waitFor('the restart in /metrics', async () => {
      const exp = await scrape(port);
      return valueOf(exp, 'emperor_vassal_restarts_total', { vassal: 'w' }) === 1 ? exp : null;
    });
    assert.equal(valueOf(after, 'emperor_vassal_last_exit_code', { vassal: 'w' }), -1, 'killed by a signal: -1');
    assert.equal(valueOf(after, 'emperor_vassal_up', { vassal: 'w' }), 1);
  });
});

test('metrics: a vassal that touches 200 MB shows it in emperor_vassal_memory_rss_bytes and the stats rss_bytes', async () => {
  await withMetrics(['--sample-interval', '200ms'], async (e, port) => {
    e.write('hog.ini', vassalFile({ command: `${process.execPath} ${join(FIXTURES, 'grow-memory.mjs')}`, env: 'GROW_MB=200', 'start-secs': '100ms' }));
    const v = await e.waitVassal('hog', 'to show 200 MB in rss_bytes', (x) => (x.rss_bytes ?? 0) >= 200 * MiB, 15000);
    assert.ok((v.rss_bytes ?? 0) < 1024 * MiB, `rss ${v.rss_bytes} is plausible`);
    const exp = await waitFor('200 MB in /metrics', async () => {
      const x = await scrape(port);
      return (valueOf(x, 'emperor_vassal_memory_rss_bytes', { vassal: 'hog' }) ?? 0) >= 200 * MiB ? x : null;
    });
    assert.ok(exp.text.includes('emperor_vassal_memory_rss_bytes{vassal="hog"}'));
  });
});

test('metrics: a CPU-burning vassal shows cpu_percent > 20 and a growing emperor_vassal_cpu_seconds_total', async () => {
  await withMetrics(['--sample-interval', '200ms'], async (e, port) => {
    e.write('burn.ini', vassalFile({ command: `sh -c 'while :; do :; done'`, 'start-secs': '100ms' }));
    e.write('idle.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    await e.waitVassal('burn', 'to show cpu_percent > 20', (x) => (x.cpu_percent ?? 0) > 20, 10000);
    const cpu = async (): Promise<number> => valueOf(await scrape(port), 'emperor_vassal_cpu_seconds_total', { vassal: 'burn' }) ?? -1;
    const first = await waitFor('some CPU seconds in /metrics', async () => {
      const c = await cpu();
      return c > 0 ? c : null;
    });
    await waitFor(`cpu_seconds_total to grow past ${first} + 0.3`, async () => (await cpu()) > first + 0.3, 10000);
    const idle = await e.waitVassal('idle', 'sampled', (x) => x.cpu_percent !== null);
    assert.ok((idle.cpu_percent ?? 100) < 20, `an idle vassal uses little CPU (${idle.cpu_percent})`);
  });
});

test('metrics: a removed vassal disappears from /metrics', async () => {
  await withMetrics([], async (e, port) => {
    e.write('stay.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    e.write('gone.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    await e.waitState('stay', 'RUNNING');
    await e.waitState('gone', 'RUNNING');
    const before = await scrape(port);
    assert.ok(seriesOf(before, 'gone').length >= 5, 'gone has series while it exists');
    e.remove('gone.ini');
    await waitFor('gone to leave the stats', async () => (await e.vassal('gone')) === undefined);
    const after = await scrape(port);
    assert.deepEqual(seriesOf(after, 'gone'), [], 'no series of a removed vassal');
    assert.equal(valueOf(after, 'emperor_vassal_up', { vassal: 'stay' }), 1, 'the others stay');
    assert.equal(valueOf(after, 'emperor_vassals', { state: 'RUNNING' }), 1);
  });
});

test('metrics: GET /healthz is 200, an unknown path 404, and the emperor listens on the metrics port only', async () => {
  await withMetrics([], async (e, port) => {
    const health = await httpGet(port, '/healthz');
    assert.equal(health.status, 200);
    assert.equal((await httpGet(port, '/no/such/path')).status, 404);
    assert.equal((await httpGet(port, '/metricsx')).status, 404);
    const m = await httpGet(port, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.contentType, /^text\/plain/);
    assert.deepEqual(listeningSockets(e.pid).map((s) => s.port), [port], 'one TCP listener: the metrics port');
  });
});

test('metrics: --metrics off binds nothing', async () => {
  const defaultBefore = await connectOutcome(9393);
  const e = await new EmperorUnderTest(['--metrics', 'off']).start();
  try {
    await waitFor('the emperor to report its endpoints', () => /metrics off/.test(e.output));
    e.write('w.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    await e.waitState('w', 'RUNNING');
    assert.deepEqual(listeningSockets(e.pid), [], 'the emperor holds no listening TCP socket');
    // The default port: refused before, still refused (when nothing else had it already).
    if (defaultBefore === 'ECONNREFUSED') assert.equal(await connectOutcome(9393), 'ECONNREFUSED', 'nothing on 127.0.0.1:9393');
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
  }
});

test('metrics: a taken metrics port is a warning; the emperor still supervises', async () => {
  const taken = await listenLoopback();
  const e = await new EmperorUnderTest(['--metrics', `127.0.0.1:${taken.port}`]).start();
  try {
    await waitFor('the warning', () => /running without metrics/.test(e.output));
    assert.match(e.output, /EADDRINUSE|in use/i, 'the warning says why');
    assert.equal(e.exitCode, null, 'the emperor runs on');
    e.write('w.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const first = (await e.waitState('w', 'RUNNING')).pids[0] ?? 0;
    await waitFor('1 s of uptime', async () => ((await e.vassal('w'))?.started_at ?? Infinity) < Date.now() / 1000 - 1.1);
    process.kill(first, 'SIGKILL');
    await e.waitVassal('w', 'restarted', (x) => x.state === 'RUNNING' && x.restarts === 1 && x.pids[0] !== first);
    assert.deepEqual(listeningSockets(e.pid), [], 'no listener of its own');
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
    await closeServer(taken.server);
  }
});

test('metrics: promtool check metrics accepts a live scrape', async () => {
  const promtool = onPath('promtool');
  assert.ok(
    promtool !== null,
    'promtool is not on PATH: .ci/run installs Debian\'s prometheus package for it (apt-get install -y --no-install-recommends prometheus)',
  );
  const health = await listenLoopback();
  try {
    await withMetrics(['--sample-interval', '200ms'], async (e, port) => {
      await fleet(e, port, health.port);
      const { text } = await scrape(port);
      const r = await runWithInput(promtool, ['check', 'metrics'], text);
      assert.equal(r.status, 0, `promtool check metrics failed (exit ${r.status}):\n${r.output}`);
    });
  } finally {
    await closeServer(health.server);
  }
});
