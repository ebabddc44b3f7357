// `socket`: the emperor holds the listening socket, hands it as fd 3 (systemd's protocol), and rolls reloads without dropping a request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorUnderTest, ROOT, ctl, vassalFile, waitFor, withEmperor as withEmperorIn, freePort, httpGet } from './harness.ts';
import { formatLoad, startLoad } from './load-client.ts';
import { unixPathListening } from '../../src/io/listen-socket.ts';

const APP = join(ROOT, 'vassals.example/apps/socket-http.mjs');
const WSGI_DIR = join(ROOT, 'vassals.example/gunicorn');


const environ = (pid: number): Record<string, string> =>
  Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

/** The socket inode behind a process's fd, or null. */
function socketInode(pid: number, fd: number): string | null {
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Every socket inode a process holds. */
function socketInodes(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => socketInode(pid, Number(fd)) ?? []);
}

/** The /proc/net/tcp row of a TCP socket by inode: state (0A = LISTEN) and its accept queue (rx_queue). */
function tcpRow(inode: string): { state: string; queued: number } | null {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[9] !== inode) continue;
      return { state: cols[3] ?? '', queued: Number.parseInt((cols[4] ?? '0:0').split(':')[1] ?? '0', 16) };
    }
  }
  return null;
}

// This file's tests pass the callback first.
const withEmperor = (fn: (e: EmperorUnderTest) => Promise<void>, args: string[] = []): Promise<void> => withEmperorIn(args, fn);


test('fd 3 is the emperor-held listening socket, with LISTEN_FDS=1, LISTEN_PID = the program\'s pid and LISTEN_FDNAMES; others get no LISTEN_*', async () => {
  // Inherited from the emperor's own supervisor: never passed on.
  process.env.LISTEN_FDS = '4';
  process.env.LISTEN_PID = '1';
  const e = new EmperorUnderTest();
  try {
    await e.start();
  } finally {
    delete process.env.LISTEN_FDS;
    delete process.env.LISTEN_PID;
  }
  try {
    const port = await freePort();
    e.write('web.ini', vassalFile({ command: `node ${APP}`, socket: `tcp://127.0.0.1:${port}`, instances: 2, 'start-secs': '300ms' }));
    e.write('plain.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const web = await e.waitVassal('web', 'RUNNING with 2 pids', (v) => v.state === 'RUNNING' && v.pids.length === 2);
    const plain = await e.waitState('plain', 'RUNNING');
    const held = socketInodes(e.pid);
    for (const pid of web.pids) {
      await waitFor('the program itself (the shim execs it)', () => readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('node\0'));
      const env = environ(pid);
      assert.equal(env.LISTEN_FDS, '1');
      assert.equal(env.LISTEN_PID, String(pid));
      assert.equal(env.LISTEN_FDNAMES, 'web');
      const inode = socketInode(pid, 3);
      assert.ok(inode !== null && held.includes(inode), 'fd 3 is the socket the emperor holds');
      assert.equal(tcpRow(inode)?.state, '0A', 'a listening socket');
    }
    const plainEnv = environ(plain.pids[0] ?? 0);
    for (const k of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES']) assert.equal(plainEnv[k], undefined, k);
    assert.match(await httpGet(port), /^hello from pid \d+ \(instance [01], version 1\)\n$/);
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('bound before dropping to `user`: an unprivileged vassal serves a port below 1024', async () => {
  assert.equal(process.getuid?.(), 0, 'this test runs as root (as CI does)');
  // A free privileged port: try a few on loopback.
  let port = 0;
  for (let p = 981; p < 1024 && port === 0; p++) {
    const s = createServer();
    const ok = await new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.listen(p, '127.0.0.1', () => r(true));
    });
    if (ok) {
      port = p;
      await new Promise((r) => s.close(r));
    }
  }
  assert.ok(port > 0, 'a free port below 1024');
  await withEmperor(async (e) => {
    e.write('low.ini', vassalFile({ command: `node ${APP}`, user: 'nobody', directory: '/', socket: `tcp://127.0.0.1:${port}`, 'start-secs': '300ms' }));
    const pid = (await e.waitState('low', 'RUNNING')).pids[0] ?? 0;
    await waitFor('the program itself (shim, then setpriv, exec it)', () => readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('node\0'));
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    assert.notEqual(uid, '0');
    assert.equal(environ(pid).LISTEN_PID, String(pid));
    assert.match(await httpGet(port), new RegExp(`^hello from pid ${pid} `));
  });
});

test('the emperor never accepts: while the vassal is stopped a connection waits in the backlog, and is served once it starts', async () => {
  await withEmperor(async (e) => {
    const port = await freePort();
    e.write('web.ini', vassalFile({ command: `node ${APP}`, socket: `tcp://127.0.0.1:${port}`, 'start-secs': '300ms' }));
    await e.waitState('web', 'RUNNING');
    assert.equal((await ctl(e.stateDir, ['stop', 'web'])).status, 0);
    await e.waitVassal('web', 'STOPPED with no process', (v) => v.state === 'STOPPED' && v.pids.length === 0);
    const [inode] = socketInodes(e.pid).filter((i) => tcpRow(i)?.state === '0A');
    assert.ok(inode !== undefined, 'the emperor still holds the listening socket');
    const answer = httpGet(port);
    // Queued by the kernel, accepted by nobody: the emperor has no accept loop on it.
    await waitFor('the connection to wait in the accept queue', () => tcpRow(inode)?.queued === 1);
    assert.equal((await ctl(e.stateDir, ['start', 'web'])).status, 0);
    assert.match(await answer, /^hello from pid \d+/);
    // Removing the file closes the socket.
    e.remove('web.ini');
    await waitFor('the socket to be closed', async () => (await httpGet(port).then(() => 'served', (err: NodeJS.ErrnoException) => err.code)) === 'ECONNREFUSED');
  });
});

test('a port in use is the vassal\'s error at FILE:LINE of `socket`, not a crash; freed, the vassal starts', async () => {
  await withEmperor(async (e) => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const file = e.write('web.ini', vassalFile({ command: `node ${APP}`, socket: `tcp://127.0.0.1:${port}`, backoff: '200ms', 'backoff-max': '200ms' }));
    const v = await e.waitVassal('web', 'to report the bind error', (s) => (s.error ?? '').includes('EADDRINUSE'));
    assert.match(v.error ?? '', new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: \`socket = tcp://127\\.0\\.0\\.1:${port}\`: cannot bind \\(EADDRINUSE\\): another program listens on port ${port}`));
    await new Promise((r) => blocker.close(r));
    await e.waitState('web', 'RUNNING');
    assert.match(await httpGet(port), /^hello from pid/);
  });
});

test('unix:PATH: a stale socket file is replaced, a live one refused, and the file removed with the vassal', async () => {
  await withEmperor(async (e) => {
    const path = join(e.root, 'run', 'web.sock');
    const live = createServer();
    await new Promise<void>((r) => live.listen(join(e.root, 'live.sock'), r));
    e.write('busy.ini', vassalFile({ command: `node ${APP}`, socket: `unix:${join(e.root, 'live.sock')}`, backoff: '5s' }));
    await e.waitVassal('busy', 'to refuse the live socket', (s) => (s.error ?? '').includes('another program listens on'));
    await new Promise((r) => live.close(r));
    // A stale file: a socket nobody listens on (left by a crash).
    const crashed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(join(e.root, 'stale.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.equal(crashed.signal, 'SIGKILL');
    assert.ok(existsSync(join(e.root, 'stale.sock')) && !unixPathListening(join(e.root, 'stale.sock')), 'a stale socket file');
    e.write('old.ini', vassalFile({ command: `node ${APP}`, socket: `unix:${join(e.root, 'stale.sock')}`, 'start-secs': '300ms' }));
    await e.waitState('old', 'RUNNING');
    assert.ok(unixPathListening(join(e.root, 'stale.sock')), 'the emperor listens there now');
    assert.match(await new Promise<string>((resolve, reject) => {
      const sock = connect(join(e.root, 'stale.sock'), () => sock.write('GET / HTTP/1.0\r\n\r\n'));
      let text = '';
      sock.on('data', (d) => (text += d.toString()));
      sock.on('error', reject);
      sock.on('end', () => resolve(text));
    }), /hello from pid/);
    e.write('web.ini', vassalFile({ command: `node ${APP}`, socket: `unix:${path}`, 'start-secs': '300ms' }));
    await e.waitState('web', 'RUNNING');
    assert.equal((statSync(path).mode & 0o777).toString(8), '666');
    const load = startLoad({ socketPath: path, concurrency: 1 });
    await waitFor('an answer over the Unix socket', () => load.report.ok > 3);
    const report = await load.stop();
    assert.equal(report.httpFailures + report.connectionErrors, 0, formatLoad(report));
    e.remove('web.ini');
    await waitFor('the socket file to be removed', () => !existsSync(path));
  });
});

// Edits the file `edits` times, each once the previous roll has replaced every pid; returns the pid sets seen.
async function rollUnderLoad(e: EmperorUnderTest, name: string, fileFor: (version: number) => string, instances: number, edits: number): Promise<number[][]> {
  const sets: number[][] = [];
  const first = await e.waitVassal(name, `RUNNING with ${instances} pids`, (v) => v.state === 'RUNNING' && v.pids.length === instances, 30000);
  sets.push([...first.pids].sort());
  for (let version = 2; version <= edits + 1; version++) {
    const before = new Set(sets[sets.length - 1]);
    e.write(`${name}.ini`, fileFor(version));
    const after = await e.waitVassal(
      name,
      `every instance replaced for version ${version}`,
      (v) => v.state === 'RUNNING' && v.pids.length === instances && v.instances.every((i) => i.pid !== null && !before.has(i.pid)) && v.error === null,
      30000,
    );
    sets.push([...after.pids].sort());
  }
  return sets;
}

test('rolling reloads under load: 20 s of requests, 5 edits of 3 instances, zero failed requests, every pid replaced', async () => {
  await withEmperor(async (e) => {
    const port = await freePort();
    const file = (version: number): string =>
      vassalFile({ command: `node ${APP}`, socket: `tcp://127.0.0.1:${port}`, instances: 3, env: `APP_VERSION=${version}`, 'start-secs': '500ms', 'stop-timeout': '10s' });
    e.write('web.ini', file(1));
    await e.waitVassal('web', 'RUNNING', (v) => v.state === 'RUNNING' && v.pids.length === 3);
    const started = Date.now();
    // A fresh connection per request (every refused or reset connection counts), and keep-alive clients beside them.
    const load = startLoad({ port, concurrency: 3 });
    const kept = startLoad({ port, concurrency: 2, keepAlive: true });
    const sets = await rollUnderLoad(e, 'web', file, 3, 5);
    await waitFor('20 s of load', () => Date.now() - started >= 20_000, 30_000, 100);
    const [report, keptReport] = await Promise.all([load.stop(), kept.stop()]);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`# with socket, 3 instances, 5 rolling reloads in ${secs} s: ${formatLoad(report)}; keep-alive: ${formatLoad(keptReport)}\n`);
    assert.equal(report.httpFailures + report.connectionErrors, 0, `failures: ${report.samples.join('; ')}`);
    assert.equal(keptReport.httpFailures + keptReport.connectionErrors, 0, `keep-alive failures: ${keptReport.samples.join('; ')}`);
    assert.ok(report.ok > 1000 && keptReport.ok > 1000, `${formatLoad(report)}; keep-alive: ${formatLoad(keptReport)}`);
    const all = sets.flat();
    assert.equal(new Set(all).size, all.length, 'every roll started new processes');
    assert.ok((report.versions.get('6') ?? 0) > 0, 'the last version serves');
    assert.match(e.output, /rolling restart: replacement pid \d+ is RUNNING; stopping pid \d+/);
  });
});

test('gunicorn (python3-gunicorn) behind an emperor-held socket: rolling reloads under load drop nothing', async () => {
  assert.ok(existsSync('/usr/lib/python3/dist-packages/gunicorn/systemd.py'), 'python3-gunicorn is missing: .ci/run installs it');
  await withEmperor(async (e) => {
    const port = await freePort();
    const file = (version: number): string =>
      vassalFile({
        command: '/usr/bin/python3 -m gunicorn --workers 1 --graceful-timeout 20 app:app',
        directory: WSGI_DIR,
        socket: `tcp://127.0.0.1:${port}`,
        instances: 3,
        env: `APP_VERSION=${version}`,
        'start-secs': '1s',
        'stop-timeout': '25s',
      });
    e.write('wsgi.ini', file(1));
    await e.waitVassal('wsgi', 'RUNNING', (v) => v.state === 'RUNNING' && v.pids.length === 3, 30000);
    const started = Date.now();
    const load = startLoad({ port, concurrency: 4 });
    const sets = await rollUnderLoad(e, 'wsgi', file, 3, 5);
    await waitFor('20 s of load', () => Date.now() - started >= 20_000, 60_000, 100);
    const report = await load.stop();
    process.stdout.write(`# gunicorn with socket, 3 instances, 5 rolling reloads in ${((Date.now() - started) / 1000).toFixed(1)} s: ${formatLoad(report)}\n`);
    assert.equal(report.httpFailures + report.connectionErrors, 0, `failures: ${report.samples.join('; ')}`);
    assert.ok(report.ok > 500, formatLoad(report));
    const all = sets.flat();
    assert.equal(new Set(all).size, all.length, 'every roll started new gunicorn masters');
    assert.ok((report.versions.get('6') ?? 0) > 0, 'the last version serves');
    // gunicorn took the inherited socket: it logs that it listens on the emperor's address.
    assert.match(e.output, new RegExp(`Listening at: http://127\\.0\\.0\\.1:${port}`));
  });
});

test('a replacement that fails (its health check, or a crash) stops the roll; the old instances keep serving', async () => {
  await withEmperor(async (e) => {
    const port = await freePort();
    const dead = await freePort();
    const base = { command: `node ${APP}`, socket: `tcp://127.0.0.1:${port}`, instances: 3, 'start-secs': '300ms' };
    e.write('web.ini', vassalFile({ ...base, env: 'APP_VERSION=1' }));
    const before = await e.waitVassal('web', 'RUNNING', (v) => v.state === 'RUNNING' && v.pids.length === 3);
    const load = startLoad({ port, concurrency: 2 });
    // Version 2 never passes its health check (nothing listens there).
    e.write('web.ini', vassalFile({ ...base, env: 'APP_VERSION=2', 'health-check': `tcp://127.0.0.1:${dead}`, 'health-interval': '200ms', 'health-timeout': '100ms', 'health-retries': 2 }));
    const failed = await e.waitVassal('web', 'to stop the roll', (v) => (v.error ?? '').startsWith('rolling restart stopped'), 15000);
    assert.match(failed.error ?? '', /^rolling restart stopped: the replacement of instance 0 failed \(not RUNNING [\d.]+s after its start .*\); it was stopped; 3 instances still run the previous version$/);
    const settled = await e.waitVassal('web', 'back to its 3 old processes', (v) => v.state === 'RUNNING' && v.pids.length === 3);
    assert.deepEqual([...settled.pids].sort(), [...before.pids].sort());
    // Version 3 crashes at once: a failed start of the replacement.
    // (start-secs 1s: a process that dies later than start-secs ran, and its roll went on.)
    e.write('web.ini', vassalFile({ ...base, command: 'node -e process.exit(3)', env: 'APP_VERSION=3', 'start-secs': '1s' }));
    const crashed = await e.waitVassal('web', 'to stop the roll again', (v) => /replacement of instance 0 failed \(exited with code 3/.test(v.error ?? ''), 15000);
    assert.match(crashed.error ?? '', /3 instances still run the previous version$/);
    await e.waitVassal('web', 'back to its 3 old processes', (v) => v.state === 'RUNNING' && v.pids.length === 3);
    const report = await load.stop();
    assert.equal(report.httpFailures + report.connectionErrors, 0, `failures: ${report.samples.join('; ')}`);
    assert.ok((report.versions.get('1') ?? 0) > 0, 'the old version kept answering');
    // Only the old processes are left, and they answer.
    const after = await e.waitVassal('web', 'the old processes only', (v) => v.pids.length === 3);
    assert.deepEqual([...after.pids].sort(), [...before.pids].sort());
    assert.match(await httpGet(port), /version 1\)/);
    assert.match(e.output, /rolling restart stopped: the replacement of instance 0 failed/);
  });
});

test('an edit during a roll stops the outdated replacement and rolls again; a stop during a roll stops the replacement too', async () => {
  await withEmperor(async (e) => {
    const port = await freePort();
    const file = (version: number): string =>
      vassalFile({ command: `node ${APP}`, socket: `tcp://127.0.0.1:${port}`, instances: 3, env: `APP_VERSION=${version}`, 'start-secs': '2s' });
    e.write('web.ini', file(1));
    const v1 = await e.waitVassal('web', 'RUNNING', (v) => v.state === 'RUNNING' && v.pids.length === 3, 15000);
    e.write('web.ini', file(2));
    const during = await e.waitVassal('web', 'a replacement beside the 3 instances', (v) => v.pids.length === 4);
    const replacement = during.pids.find((p) => !v1.pids.includes(p)) ?? 0;
    assert.deepEqual(during.instances.map((i) => i.pid), v1.instances.map((i) => i.pid), 'instances list the old processes during the overlap');
    assert.equal(during.state, 'RUNNING', 'a surplus process is no instance: the vassal stays RUNNING');
    e.write('web.ini', file(3));
    const v3 = await e.waitVassal('web', 'all replaced by version 3', (v) => v.state === 'RUNNING' && v.pids.length === 3 && v.pids.every((p) => !v1.pids.includes(p)), 30000);
    assert.ok(!v3.pids.includes(replacement), 'the version 2 replacement was stopped');
    assert.match(await httpGet(port), /version 3\)/);
    e.write('web.ini', file(4));
    await e.waitVassal('web', 'a replacement again', (v) => v.pids.length === 4);
    assert.equal((await ctl(e.stateDir, ['stop', 'web'])).status, 0);
    await e.waitVassal('web', 'STOPPED with no process', (v) => v.state === 'STOPPED' && v.pids.length === 0);
  });
});
