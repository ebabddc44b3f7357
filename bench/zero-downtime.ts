// Requests lost to reloads: continuous HTTP load on loopback while the vassal file is edited,
// with an emperor-held `socket` (rolling replacement) and without one (the app binds its own port).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, cleanupOnInterrupt, tempRoot } from './lib/cleanup.ts';
import { EmperorProcess } from './lib/emperor-process.ts';
import { COMPILED, ROOT, distWarning } from './lib/emperor-tree.ts';
import { readStats, waitFor } from './lib/stats-read.ts';
import { nowMs } from './lib/summary.ts';
import { formatLoad, startLoad, type LoadReport } from '../test/integration/load-client.ts';
import { diagHeader } from './lib/header.ts';

const APP = join(ROOT, 'vassals.example/apps/socket-http.mjs');
const WSGI_DIR = join(ROOT, 'vassals.example/gunicorn');

/** One scenario: how the vassal is written, and how many instances it runs. */
interface Scenario {
  label: string;
  instances: number;
  socket: boolean;
  keepAlive: boolean;
  /** the Node example app, or gunicorn (Debian's python3-gunicorn) with the example WSGI app. */
  app: 'node' | 'gunicorn';
}

// The command and keys of the vassal for a scenario.
function appLines(sc: Scenario, port: number): string[] {
  if (sc.app === 'node') return [`command = node ${APP}`, sc.socket ? `socket = tcp://127.0.0.1:${port}` : `env = PORT=${port}`, 'start-secs = 500ms', 'stop-timeout = 10s'];
  const bind = sc.socket ? '' : ` --bind 127.0.0.1:${port}`;
  return [
    `command = /usr/bin/python3 -m gunicorn --workers 1 --graceful-timeout 20${bind} app:app`,
    `directory = ${WSGI_DIR}`,
    ...(sc.socket ? [`socket = tcp://127.0.0.1:${port}`] : []),
    'start-secs = 1s',
    'stop-timeout = 25s',
  ];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

// Runs one scenario: SECONDS of load, EDITS edits, each once the previous reload has replaced every pid.
async function run(sc: Scenario, seconds: number, edits: number): Promise<{ report: LoadReport; rolls: number; seconds: number }> {
  const root = tempRoot('emperor-bench-zd');
  const vassals = join(root, 'vassals');
  mkdirSync(vassals);
  const port = await freePort();
  const file = (version: number): string =>
    [
      '[vassal]',
      ...appLines(sc, port),
      `instances = ${sc.instances}`,
      `env = APP_VERSION=${version}`,
      '',
    ].join('\n');
  const write = (version: number): void => {
    writeFileSync(join(root, 'web.tmp'), file(version));
    renameSync(join(root, 'web.tmp'), join(vassals, 'web.ini'));
  };
  const stats = join(root, 'state', 'stats.sock');
  const emperor = new EmperorProcess(COMPILED, ['--vassals', vassals, '--state-dir', join(root, 'state'), '--metrics', 'off']);
  await waitFor('the stats socket', () => readStats(stats).catch(() => null), 10000);
  write(1);
  const pidsNow = async (): Promise<number[] | null> => {
    const v = (await readStats(stats)).vassals.find((x) => x.name === 'web');
    return v !== undefined && v.state === 'RUNNING' && v.pids.length === sc.instances ? v.pids : null;
  };
  let pids = await waitFor('the vassal to run', pidsNow, 20000);
  const started = nowMs();
  const load = startLoad({ port, concurrency: 4, keepAlive: sc.keepAlive });
  let rolls = 0;
  for (let version = 2; version <= edits + 1; version++) {
    const before = new Set(pids);
    write(version);
    pids = await waitFor(`reload ${version - 1}`, async () => {
      const now = await pidsNow();
      return now !== null && now.every((p) => !before.has(p)) ? now : null;
    }, 30000);
    rolls++;
  }
  await waitFor('the load period', () => (nowMs() - started >= seconds * 1000 ? true : null), seconds * 1000 + 60000, 100);
  const report = await load.stop();
  const elapsed = (nowMs() - started) / 1000;
  await emperor.stop();
  return { report, rolls, seconds: elapsed };
}

async function main(): Promise<void> {
  cleanupOnInterrupt();
  const seconds = Number(process.argv[2] ?? 20);
  const edits = Number(process.argv[3] ?? 5);
  if (!(seconds > 0) || !Number.isInteger(edits) || edits < 1) throw new Error('usage: node --import tsx bench/zero-downtime.ts [SECONDS=20] [EDITS=5] [ONLY: part of a scenario label]');
  const warning = distWarning();
  if (warning !== null) console.log(`warning: ${warning}`);
  console.log(diagHeader('zero-downtime'));
  console.log(`${seconds} s of GET / over loopback (4 in flight, a fresh connection per request unless keep-alive) while the file is edited ${edits} times`);
  const scenarios: Scenario[] = [
    { label: 'node: socket, 3 instances (rolling replacement)', instances: 3, socket: true, keepAlive: false, app: 'node' },
    { label: 'node: socket, 1 instance (replacement first)', instances: 1, socket: true, keepAlive: false, app: 'node' },
    { label: 'node: socket, 3 instances, keep-alive client', instances: 3, socket: true, keepAlive: true, app: 'node' },
    { label: 'node: no socket, 1 instance (binds PORT; stop, then start)', instances: 1, socket: false, keepAlive: false, app: 'node' },
    { label: 'gunicorn: socket, 3 instances (rolling replacement)', instances: 3, socket: true, keepAlive: false, app: 'gunicorn' },
    { label: 'gunicorn: no socket, 1 instance (--bind; stop, then start)', instances: 1, socket: false, keepAlive: false, app: 'gunicorn' },
  ];
  const results: Array<Record<string, unknown>> = [];
  const only = process.argv[4];
  const gunicorn = spawnSync('/usr/bin/python3', ['-c', 'import gunicorn']).status === 0;
  if (!gunicorn) console.log('gunicorn scenarios skipped: no gunicorn module for /usr/bin/python3 (apt-get install python3-gunicorn)');
  for (const sc of scenarios.filter((x) => (only === undefined || x.label.includes(only)) && (x.app === 'node' || gunicorn))) {
    const r = await run(sc, seconds, edits);
    const failures = r.report.httpFailures + r.report.connectionErrors;
    console.log(`${sc.label.padEnd(62)} ${r.rolls} reloads in ${r.seconds.toFixed(1)} s: ${formatLoad(r.report)}`);
    if (failures > 0) console.log(`  e.g. ${[...new Set(r.report.samples)].slice(0, 3).join('; ')}`);
    results.push({ scenario: sc.label, reloads: r.rolls, seconds: r.seconds, requests: r.report.requests, ok: r.report.ok, http_failures: r.report.httpFailures, connection_errors: r.report.connectionErrors });
  }
  console.log(`load ${loadavg()[0]?.toFixed(2)}`);
  console.log(JSON.stringify({ bench: 'zero-downtime', seconds, edits, results }));
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => void cleanupAll());
