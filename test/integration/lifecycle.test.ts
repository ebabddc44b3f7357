// Real processes crash, exit, ignore signals and spawn grandchildren; the emperor keeps track.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorUnderTest, FIXTURES, alive, vassalFile, waitFor, withEmperor as withEmperorIn } from './harness.ts';

// This file's tests pass the callback first.
const withEmperor = (fn: (e: EmperorUnderTest) => Promise<void>, args: string[] = []): Promise<void> => withEmperorIn(args, fn);

const pidsIn = (file: string): number[] =>
  readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

test('a crash loop is bounded by backoff and ends FATAL after start-retries', async () => {
  await withEmperor(async (e) => {
    const spawns = join(e.root, 'spawns');
    writeFileSync(spawns, '');
    e.write('crash.ini', vassalFile({ command: `sh -c 'echo x >> ${spawns}; exit 3'`, backoff: '100ms', 'start-retries': 3 }));
    const v = await e.waitState('crash', 'FATAL');
    assert.equal(pidsIn(spawns).length, 3, 'start-retries = 3: three spawns, then FATAL');
    assert.equal(v.restarts, 2);
    assert.equal(v.last_exit?.code, 3);
    assert.match(v.error ?? '', /exited with code 3/);
    assert.deepEqual(v.pids, []);
    // A FATAL vassal starts again when its file changes.
    e.write('crash.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    await e.waitState('crash', 'RUNNING');
  });
});

test('backoff doubles between failed starts', async () => {
  await withEmperor(async (e) => {
    const spawns = join(e.root, 'spawns');
    writeFileSync(spawns, '');
    e.write('loop.ini', vassalFile({ command: `sh -c 'date +%%s%%N >> ${spawns}; exit 1'`, backoff: '200ms', 'backoff-max': '10s', 'start-retries': 4 }));
    await e.waitState('loop', 'FATAL', 15000);
    const times = pidsIn(spawns).map((ns) => ns / 1e6);
    assert.equal(times.length, 4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // 200, 400, 800 ms nominal, +-10% jitter, plus spawn time: the gaps between real starts are at least the delays.
    assert.ok((gaps[0] ?? 0) >= 170 && (gaps[1] ?? 0) >= 350 && (gaps[2] ?? 0) >= 700, `gaps ${gaps.join(', ')}`);
    // The delays the emperor chose double (as it says them: "failed start N, retrying in X.Xs"). Compared there, not
    // as ratios of wall-clock gaps, which a loaded machine's spawn time stretches (the first gap most, relatively).
    const delays = [...e.output.matchAll(/failed start (\d+), retrying in ([\d.]+)s/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.deepEqual(delays.map(([n]) => n), [1, 2, 3], e.output);
    const [d1, d2, d3] = delays.map(([, s]) => s ?? 0);
    assert.ok(d1 === 0.2 && d2 === 0.4 && (d3 ?? 0) >= 0.7 && (d3 ?? 0) <= 0.9, `delays ${delays.join(' ')}`);
  });
});

test('a stable process that dies is restarted at once and counted', async () => {
  await withEmperor(async (e) => {
    e.write('w.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const first = (await e.waitState('w', 'RUNNING')).pids[0] ?? 0;
    await waitFor('1 s of uptime', async () => ((await e.vassal('w'))?.started_at ?? Infinity) < Date.now() / 1000 - 1.1);
    process.kill(first, 'SIGKILL');
    const v = await e.waitVassal('w', 'respawned', (x) => x.state === 'RUNNING' && x.pids[0] !== first);
    assert.equal(v.restarts, 1);
    assert.equal(v.last_exit?.signal, 'SIGKILL');
    assert.equal(v.last_exit?.code, null);
  });
});

test('restart policies: on-failure and never leave a clean exit EXITED; always restarts it', async () => {
  await withEmperor(async (e) => {
    const body = (restart: string, code: number): string =>
      vassalFile({ command: `sh -c 'sleep 1.2; exit ${code}'`, restart, 'start-secs': '100ms', 'exit-codes': '0,2' });
    e.write('onfail-ok.ini', body('on-failure', 2));
    e.write('never.ini', body('never', 1));
    e.write('onfail-bad.ini', body('on-failure', 1));
    e.write('always.ini', body('always', 0));
    const ok = await e.waitState('onfail-ok', 'EXITED');
    assert.equal(ok.last_exit?.code, 2);
    assert.equal(ok.error, null);
    const never = await e.waitState('never', 'EXITED');
    assert.match(never.error ?? '', /exited with code 1/);
    await e.waitVassal('onfail-bad', 'restarted after a failure', (v) => v.restarts >= 1 && v.state !== 'EXITED');
    await e.waitVassal('always', 'restarted after a clean exit', (v) => v.restarts >= 1);
  });
});

test('a missing binary is a failed start with a clear error, retried with backoff; the emperor lives on', async () => {
  await withEmperor(async (e) => {
    e.write('ghost.ini', vassalFile({ command: '/nonexistent/bin/ghost --serve', backoff: '100ms' }));
    const v = await e.waitVassal('ghost', 'in backoff with an error', (x) => x.state === 'BACKOFF' && x.restarts >= 2);
    assert.match(v.error ?? '', /command not found: \/nonexistent\/bin\/ghost does not exist/);
    e.write('nopath.ini', vassalFile({ command: 'no-such-program-xyz', backoff: '100ms' }));
    const p = await e.waitState('nopath', 'BACKOFF');
    assert.match(p.error ?? '', /no-such-program-xyz is not in PATH/);
    e.write('alive.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '0' }));
    await e.waitState('alive', 'RUNNING');
  });
});

test('stopping a tree that ignores SIGTERM escalates to SIGKILL on the whole group; no grandchild survives', async () => {
  await withEmperor(async (e) => {
    const pidFile = join(e.root, 'tree-pids');
    writeFileSync(pidFile, '');
    e.write('stubborn.ini', vassalFile({ command: `${FIXTURES}/ignore-term-tree.sh ${pidFile}`, 'stop-timeout': '500ms', 'start-secs': '100ms' }));
    const v = await e.waitState('stubborn', 'RUNNING');
    const tree = await waitFor('the tree to record 3 pids', () => (pidsIn(pidFile).length >= 3 ? pidsIn(pidFile) : null));
    assert.ok(tree.includes(v.pids[0] ?? -1), 'stats pids are the command itself, not a shim');
    const t0 = Date.now();
    e.remove('stubborn.ini');
    await waitFor('stubborn to disappear', async () => (await e.vassal('stubborn')) === undefined, 10000);
    const took = Date.now() - t0;
    for (const pid of tree) assert.ok(!alive(pid), `pid ${pid} survived`);
    assert.ok(took >= 500, `gone only after the stop timeout (${took} ms)`);
    assert.match(e.output, /sending SIGKILL to its process group/);
  });
});

test('a crashed leader takes its orphans with it', async () => {
  await withEmperor(async (e) => {
    const pidFile = join(e.root, 'kids');
    writeFileSync(pidFile, '');
    e.write('orphans.ini', vassalFile({ command: `sh -c 'sleep 100000 & echo $! >> ${pidFile}; sleep 1.5; exit 1'`, 'start-secs': '100ms' }));
    const kid = await waitFor('a child', () => pidsIn(pidFile)[0]);
    await e.waitVassal('orphans', 'to have crashed once', (v) => v.restarts >= 1);
    await waitFor('the orphan to be killed', () => !alive(kid), 3000);
  });
});

test('instances: each gets its index; an edit rolls through them one at a time', async () => {
  await withEmperor(async (e) => {
    const marks = join(e.root, 'marks');
    writeFileSync(marks, '');
    const body = (n: string): string =>
      vassalFile({ command: `sh -c 'echo %i $EMPEROR_INSTANCE $$ ${n} >> ${marks}; exec sleep 100000'`, instances: 3, 'start-secs': '200ms' });
    e.write('pool.ini', body('a'));
    const v = await e.waitState('pool', 'RUNNING');
    assert.equal(v.instances.length, 3);
    assert.deepEqual(v.instances.map((i) => i.index), [0, 1, 2]);
    const lines = readFileSync(marks, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(lines.map((l) => l[0]).sort(), ['0', '1', '2']);
    for (const l of lines) assert.equal(l[0], l[1], '%i and EMPEROR_INSTANCE agree');
    const before = new Set(v.pids);
    e.write('pool.ini', body('b'));
    const after = await e.waitVassal('pool', 'fully replaced', (x) => x.state === 'RUNNING' && x.pids.length === 3 && x.pids.every((p) => !before.has(p)));
    assert.equal(after.restarts, 0);
    // One at a time: never more than one instance missing.
    const starts = readFileSync(marks, 'utf8').trim().split('\n').filter((l) => l.endsWith(' b')).map((l) => l.split(' ')[0]);
    assert.deepEqual(starts, ['0', '1', '2']);
    // Scaling down keeps the others.
    e.write('pool.ini', vassalFile({ command: `sh -c 'echo %i $EMPEROR_INSTANCE $$ b >> ${marks}; exec sleep 100000'`, instances: 1, 'start-secs': '200ms' }));
    const one = await e.waitVassal('pool', 'scaled to 1', (x) => x.pids.length === 1 && x.instances.length === 1);
    assert.equal(one.pids[0], after.instances[0]?.pid);
  });
});

test('depends: a vassal waits STOPPED until its dependency is RUNNING', async () => {
  await withEmperor(async (e) => {
    e.write('app.ini', vassalFile({ command: 'sleep 100000', depends: 'db', 'start-secs': '100ms' }));
    const waiting = await e.waitVassal('app', 'waiting', (v) => v.state === 'STOPPED' && v.error !== null);
    assert.match(waiting.error ?? '', /waiting for db/);
    e.write('db.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '300ms' }));
    const app = await e.waitState('app', 'RUNNING');
    const db = await e.vassal('db');
    assert.ok((app.started_at ?? 0) >= (db?.started_at ?? Infinity) + 0.25, 'app started after db was RUNNING');
  });
});

test('autostart = false leaves the vassal STOPPED', async () => {
  await withEmperor(async (e) => {
    e.write('manual.ini', vassalFile({ command: 'sleep 100000', autostart: 'false' }));
    await e.waitState('manual', 'STOPPED');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await e.vassal('manual'))?.pids, []);
  });
});

test('output: lines prefixed NAME: on the emperor output, whole; log = PATH gets both streams', async () => {
  await withEmperor(async (e) => {
    e.write('talk.ini', vassalFile({ command: `${FIXTURES}/print-lines.sh`, 'start-secs': '0' }));
    const logPath = join(e.root, 'quiet.log');
    e.write('quiet.ini', vassalFile({ command: `${FIXTURES}/print-lines.sh`, log: logPath, 'start-secs': '0' }));
    await waitFor('the partial line to be flushed', () => e.output.includes('talk: partial-xxx\n'), 5000);
    for (let i = 1; i <= 5; i++) {
      assert.ok(e.output.includes(`talk: out line ${i}\n`));
      assert.ok(e.output.includes(`talk: err line ${i}\n`));
    }
    await waitFor('the log file', () => readFileSync(logPath, 'utf8').includes('partial-xxx'));
    const log = readFileSync(logPath, 'utf8');
    // Two pipes: each stream's lines arrive whole and in order; which stream is read first is the kernel's choice.
    const lines = log.split('\n');
    assert.deepEqual(lines.filter((l) => l.startsWith('out ')), [1, 2, 3, 4, 5].map((i) => `out line ${i}`));
    assert.deepEqual(lines.filter((l) => l.startsWith('err ')), [1, 2, 3, 4, 5].map((i) => `err line ${i}`));
    assert.ok(log.endsWith('\npartial-xxx'));
    assert.doesNotMatch(e.output, /^quiet: /m, 'a vassal with a log file writes nothing on the emperor output');
  });
});

test('a second emperor on the same state dir refuses to start', async () => {
  await withEmperor(async (e) => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(FIXTURES, '../../bin/emperor.js'), '--vassals', e.vassals, '--state-dir', e.stateDir], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`another emperor \\(pid ${e.pid}\\) is running with state dir`));
    // The first one is unharmed.
    assert.equal((await e.stats()).pid, e.pid);
  });
});
