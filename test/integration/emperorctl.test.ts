// emperorctl against a real emperor: status, actions and their exit codes, stop holds, logs, wait, help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPERORCTL_BIN, EmperorUnderTest, FIXTURES, alive, ctl, vassalFile, waitFor, type CtlResult } from './harness.ts';

const SLEEP = vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' });
const COMMANDS = ['status', 'start', 'stop', 'restart', 'reload', 'signal', 'logs', 'wait', 'rescan', 'help'];
const hasScript = spawnSync('script', ['--version']).status === 0;

async function withEmperor(fn: (e: EmperorUnderTest, run: (args: string[], env?: Record<string, string>) => Promise<CtlResult>) => Promise<void>): Promise<void> {
  const e = await new EmperorUnderTest(['--metrics', 'off']).start();
  try {
    await fn(e, (args, env = {}) => ctl(e.stateDir, args, env));
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
  }
}

const expect = (r: CtlResult, status: number, what: string): CtlResult => {
  assert.equal(r.status, status, `${what}: exit ${String(r.status)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
};

/** emperorctl ARGS on a pseudo-terminal (util-linux script), for colour. */
function onTty(stateDir: string, args: string[], env: Record<string, string>): Promise<CtlResult> {
  return new Promise((res) => {
    const child = spawn('script', ['-qec', [process.execPath, EMPERORCTL_BIN, ...args].join(' '), '/dev/null'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: undefined, TERM: 'xterm', EMPEROR_STATE_DIR: stateDir, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (status) => res({ status, stdout, stderr: '' }));
  });
}

test('status: the table, the error under an INVALID row, --json, NAME filter, no colour off a TTY', async () => {
  await withEmperor(async (e, run) => {
    e.write('web.ini', SLEEP);
    e.write('bad.ini', '[vassal]\ncommand = sleep 1\nstop-sigal = TERM\n');
    const pid = (await e.waitState('web', 'RUNNING')).pids[0] ?? 0;
    await e.waitState('bad', 'INVALID');
    const table = expect(await run(['status']), 0, 'status');
    assert.doesNotMatch(table.stdout, /\x1b/, 'no ANSI escapes when stdout is not a TTY');
    const lines = table.stdout.split('\n');
    assert.match(lines[0] ?? '', /^NAME +STATE +PID +UPTIME +RESTARTS +CPU +RSS +LAST EXIT$/);
    const webRow = lines.find((l) => l.startsWith('web ')) ?? '';
    assert.match(webRow, new RegExp(`^web +RUNNING +${pid} +\\d+s +0 +`));
    assert.equal(webRow.indexOf('RUNNING'), lines[0]?.indexOf('STATE'), 'columns are aligned');
    const badAt = lines.findIndex((l) => /^bad +INVALID /.test(l));
    assert.ok(badAt > 0, table.stdout);
    assert.match(lines[badAt + 1] ?? '', /^\s+\S*bad\.ini:3: unknown key `stop-sigal`; did you mean `stop-signal`\?$/);

    const json = JSON.parse(expect(await run(['status', '--json']), 0, 'status --json').stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['pid', 'sources', 'started_at', 'totals', 'vassals', 'vassals_dir', 'version']);
    const doc = await e.stats();
    assert.equal(json.pid, doc.pid);
    assert.deepEqual(json.totals, doc.totals);
    assert.deepEqual((json.vassals as Array<{ name: string }>).map((v) => v.name), ['bad', 'web']);
    const one = JSON.parse(expect(await run(['status', 'web', '--json']), 0, 'status web').stdout) as { vassals: Array<{ pids: number[] }> };
    assert.deepEqual(one.vassals.map((v) => v.pids), [[pid]]);
    assert.match(expect(await run(['status', 'nope']), 1, 'status nope').stderr, /no vassal named nope/);
  });
});

test('status: colour on a TTY, none with NO_COLOR', { skip: !hasScript && 'util-linux script is not installed' }, async () => {
  await withEmperor(async (e) => {
    e.write('web.ini', SLEEP);
    await e.waitState('web', 'RUNNING');
    const coloured = await onTty(e.stateDir, ['status'], {});
    assert.equal(coloured.status, 0, coloured.stdout);
    assert.match(coloured.stdout, /\x1b\[32mRUNNING/);
    const plain = await onTty(e.stateDir, ['status'], { NO_COLOR: '1' });
    assert.equal(plain.status, 0, plain.stdout);
    assert.match(plain.stdout, /RUNNING/);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
  });
});

test('start, stop by name and --all; exit 1 for unknown or invalid vassals, 2 for bad usage', async () => {
  await withEmperor(async (e, run) => {
    e.write('a.ini', SLEEP);
    e.write('b.ini', SLEEP);
    const a = (await e.waitState('a', 'RUNNING')).pids[0] ?? 0;
    await e.waitState('b', 'RUNNING');
    assert.equal(expect(await run(['stop', 'a']), 0, 'stop a').stdout, 'a: stopping\na: STOPPED\n');
    assert.equal((await e.vassal('a'))?.state, 'STOPPED');
    assert.ok(!alive(a));
    assert.equal((await e.vassal('b'))?.state, 'RUNNING');
    assert.match(expect(await run(['start', 'a']), 0, 'start a').stdout, /^a: starting\na: RUNNING\n$/);
    assert.match(expect(await run(['start', 'nope']), 1, 'start nope').stderr, /no vassal named nope/);
    assert.match(expect(await run(['stop', 'a', 'nope']), 1, 'stop a nope').stderr, /no vassal named nope/);
    assert.equal((await e.vassal('a'))?.state, 'RUNNING', 'nothing is done when one name is unknown');

    const stopAll = expect(await run(['stop', '--all']), 0, 'stop --all');
    assert.match(stopAll.stdout, /a: STOPPED\n/);
    assert.match(stopAll.stdout, /b: STOPPED\n/);
    assert.equal((await e.stats()).totals.STOPPED, 2);
    expect(await run(['start', '--all']), 0, 'start --all');
    assert.equal((await e.stats()).totals.RUNNING, 2);
    e.write('bad.ini', '[vassal]\ncomand = sleep 1\n');
    await e.waitState('bad', 'INVALID');
    assert.match(expect(await run(['start', 'bad']), 1, 'start bad').stdout, /bad: not started: its file is invalid/);

    const usage: Array<[string[], RegExp]> = [
      [[], /no command given/],
      [['frobnicate'], /unknown command frobnicate/],
      [['start'], /start needs NAME\.\.\. or --all/],
      [['stop', '--bogus', 'a'], /unknown option --bogus for stop/],
      [['restart', 'a', '--all'], /NAME\.\.\. or --all, not both/],
      [['--bogus', 'status'], /unknown option --bogus/],
      [['status', '--bogus'], /unknown option --bogus/],
      [['signal', 'HUP'], /signal needs SIG and at least one NAME/],
      [['logs'], /logs needs exactly one NAME/],
      [['logs', 'a', '-n', 'many'], /-n needs a whole number/],
      [['wait'], /wait needs exactly one NAME/],
      [['wait', 'a', '--for', 'asleep'], /unknown state ASLEEP/],
      [['wait', 'a', '--timeout', 'soon'], /expected a duration/],
    ];
    for (const [args, message] of usage) assert.match(expect(await run(args), 2, args.join(' ')).stderr, message);
  });
});

test('stop holds a vassal across rescans and SIGHUP; start releases it, and so does an edit of its file', async () => {
  await withEmperor(async (e, run) => {
    e.write('held.ini', SLEEP);
    await e.waitState('held', 'RUNNING');
    expect(await run(['stop', 'held']), 0, 'stop');
    assert.equal(expect(await run(['rescan']), 0, 'rescan').stdout, 'rescanned\n');
    assert.equal((await e.vassal('held'))?.state, 'STOPPED', 'held across emperorctl rescan');
    const mark = e.output.length;
    process.kill(e.pid, 'SIGHUP');
    await waitFor('the SIGHUP rescan', () => e.output.slice(mark).includes('SIGHUP'));
    assert.equal((await e.vassal('held'))?.state, 'STOPPED', 'held across a SIGHUP rescan');
    expect(await run(['start', 'held']), 0, 'start');
    assert.equal((await e.vassal('held'))?.state, 'RUNNING');
    expect(await run(['stop', 'held']), 0, 'stop again');
    e.write('held.ini', vassalFile({ command: 'sleep 200000', 'start-secs': '100ms' }));
    const edited = await e.waitState('held', 'RUNNING', 5000);
    assert.match(readFileSync(`/proc/${edited.pids[0]}/cmdline`, 'latin1'), /sleep\x00200000/);
  });
});

test('restart gives new pids without counting restarts; reload sends reload-signal and keeps the pid; signal', async () => {
  await withEmperor(async (e, run) => {
    e.write('r.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms', instances: 2 }));
    const marks = join(e.root, 'marks');
    writeFileSync(marks, '');
    e.write('sig.ini', vassalFile({ command: `${FIXTURES}/on-signal.sh ${marks}`, 'reload-signal': 'HUP', 'start-secs': '100ms' }));
    const before = await e.waitVassal('r', 'two RUNNING', (v) => v.state === 'RUNNING' && v.pids.length === 2);
    const pid = (await e.waitState('sig', 'RUNNING')).pids[0] ?? 0;
    await waitFor('the fixture to start', () => readFileSync(marks, 'utf8').includes(`start ${pid}`));

    assert.match(expect(await run(['restart', 'r']), 0, 'restart').stdout, /^r: restarting\nr: RUNNING\n$/);
    const after = await e.vassal('r');
    assert.equal(after?.state, 'RUNNING');
    assert.equal(after?.pids.length, 2);
    assert.ok(after?.pids.every((p) => !before.pids.includes(p)), `new pids: ${String(before.pids)} -> ${String(after?.pids)}`);
    assert.ok(before.pids.every((p) => !alive(p)));
    assert.equal(after?.restarts, 0, 'emperorctl restart is not a restart');
    assert.deepEqual(after?.instances.map((i) => i.restarts), [0, 0]);

    assert.match(expect(await run(['reload', 'sig']), 0, 'reload').stdout, /^sig: sent (SIG)?HUP\nsig: RUNNING\n$/);
    await waitFor('HUP to arrive', () => readFileSync(marks, 'utf8').includes(`HUP ${pid}`));
    assert.match(expect(await run(['signal', 'USR1', 'sig']), 0, 'signal').stdout, /^sig: sent SIGUSR1 to 1 process\n$/);
    await waitFor('USR1 to arrive', () => readFileSync(marks, 'utf8').includes(`USR1 ${pid}`));
    assert.match(expect(await run(['signal', 'USR1', 'nope']), 1, 'signal nope').stderr, /no vassal named nope/);
    assert.match(expect(await run(['signal', 'NOPE', 'sig']), 2, 'signal NOPE').stderr, /unknown signal NOPE/);
    const s = await e.vassal('sig');
    assert.deepEqual([s?.pids, s?.restarts], [[pid], 0], 'the same process throughout');

    const r2 = (await e.vassal('r'))?.pids ?? [];
    expect(await run(['reload', '--all']), 0, 'reload --all');
    await waitFor('a second HUP', () => readFileSync(marks, 'utf8').split('\n').filter((l) => l === `HUP ${pid}`).length === 2);
    assert.ok((await e.vassal('r'))?.pids.every((p) => !r2.includes(p)), 'without reload-signal, reload restarts');
    expect(await run(['restart', '--all']), 0, 'restart --all');
    assert.notDeepEqual((await e.vassal('sig'))?.pids, [pid]);
  });
});

test('logs -n N from the output ring and from log files, relative ones under --log-dir', async () => {
  await withEmperor(async (e, run) => {
    const five = (tag: string): string => `sh -c 'for i in 1 2 3 4 5; do echo ${tag}-$i; done; exec sleep 100000'`;
    e.write('ring.ini', vassalFile({ command: five('ring') }));
    e.write('file.ini', vassalFile({ command: five('file'), log: join(e.root, 'file.log') }));
    e.write('rel.ini', vassalFile({ command: five('rel'), log: 'rel.log' }));
    await waitFor('the ring to hold five lines', async () => (await run(['logs', 'ring'])).stdout === 'ring-1\nring-2\nring-3\nring-4\nring-5\n');
    assert.equal(expect(await run(['logs', 'ring', '-n', '2']), 0, 'logs ring').stdout, 'ring-4\nring-5\n');
    await waitFor('the file log', async () => (await run(['logs', 'file', '-n', '3'])).stdout === 'file-3\nfile-4\nfile-5\n');
    await waitFor('the relative log', async () => (await run(['logs', 'rel', '-n', '1'])).stdout === 'rel-5\n');
    assert.ok(existsSync(join(e.stateDir, 'logs', 'rel.log')));
    assert.equal(expect(await run(['logs', 'ring', '-n', '0']), 0, '-n 0').stdout, '');
    assert.match(expect(await run(['logs', 'nope']), 1, 'logs nope').stderr, /no vassal named nope/);
  });
});

test('logs -f follows a live vassal, from the ring and from a file', async () => {
  await withEmperor(async (e) => {
    const ticker = (tag: string): string => `sh -c 'for i in \`seq 1 100000\`; do echo ${tag}-$i; sleep 0.1; done'`;
    e.write('tick.ini', vassalFile({ command: ticker('tick') }));
    e.write('ftick.ini', vassalFile({ command: ticker('ftick'), log: join(e.root, 'ftick.log') }));
    for (const name of ['tick', 'ftick']) {
      await e.waitState(name, 'RUNNING');
      const child = spawn(process.execPath, [EMPERORCTL_BIN, 'logs', name, '-f', '-n', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EMPEROR_STATE_DIR: e.stateDir } });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const closed = new Promise((r) => child.on('close', r));
      try {
        const seen = await waitFor(`${name}: five lines followed`, () => {
          const nums = text.split('\n').filter((l) => l !== '').map((l) => Number(new RegExp(`^${name}-(\\d+)$`).exec(l)?.[1] ?? NaN));
          return nums.length >= 5 ? nums : null;
        }, 10000);
        assert.ok(seen.every((n, i) => Number.isInteger(n) && (i === 0 || n === (seen[i - 1] ?? 0) + 1)), `consecutive lines: ${text}`);
      } finally {
        child.kill('SIGTERM');
        await closed;
      }
    }
    assert.equal((await e.stats()).totals.RUNNING, 2);
  });
});

test('wait: --for a state, --timeout, and a vassal whose file appears while waiting', async () => {
  await withEmperor(async (e, run) => {
    e.write('w.ini', SLEEP);
    expect(await run(['wait', 'w', '--for', 'running']), 0, 'wait for running');
    expect(await run(['wait', 'w', '--for', 'Running', '--timeout', '5s']), 0, 'case-insensitive');
    const t = Date.now();
    const late = expect(await run(['wait', 'w', '--for', 'fatal', '--timeout', '500ms']), 1, 'timeout');
    assert.ok(Date.now() - t >= 500);
    assert.match(late.stderr, /timed out after 0\.5s waiting for w to be FATAL \(it is RUNNING\)/);
    assert.match(expect(await run(['wait', 'later', '--timeout', '200ms']), 1, 'not loaded').stderr, /it is not loaded/);

    // A stats proxy counts polls, so the file is written only once wait has seen it missing.
    let polls = 0;
    const proxyPath = join(e.root, 'proxy.sock');
    const proxy = createServer((s) => {
      polls++;
      s.on('error', () => {});
      const up = createConnection({ path: e.statsPath });
      up.on('error', () => s.destroy());
      up.pipe(s);
    });
    await new Promise<void>((r) => proxy.listen(proxyPath, r));
    try {
      const waiting = ctl(e.stateDir, ['--stats', proxyPath, 'wait', 'later', '--timeout', '20s']);
      await waitFor('wait to poll twice', () => polls >= 2);
      e.write('later.ini', SLEEP);
      expect(await waiting, 0, 'wait for a file written later');
      assert.equal((await e.vassal('later'))?.state, 'RUNNING');
    } finally {
      proxy.close();
    }
  });
});

test('exit 3 when no emperor answers, naming the socket and how to point elsewhere', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'emperorctl-none-'));
  try {
    const cases: Array<[string[], string]> = [
      [['status'], join(empty, 'stats.sock')],
      [['wait', 'web'], join(empty, 'stats.sock')],
      [['stop', 'web'], join(empty, 'control.sock')],
      [['logs', 'web'], join(empty, 'control.sock')],
      [['rescan'], join(empty, 'control.sock')],
      [['--socket', '/nonexistent/ctl.sock', 'start', 'web'], '/nonexistent/ctl.sock'],
      [['--stats', '/nonexistent/st.sock', 'status'], '/nonexistent/st.sock'],
    ];
    for (const [args, path] of cases) {
      const r = expect(await ctl(empty, args), 3, args.join(' '));
      assert.ok(r.stderr.includes(path), `${args.join(' ')} names ${path}: ${r.stderr}`);
      assert.match(r.stderr, /--socket/);
      assert.match(r.stderr, /EMPEROR_STATE_DIR/);
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('--help, help CMD and CMD --help exit 0 for every command', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'emperorctl-help-'));
  try {
    const runs: Array<[string[], string]> = [[['--help'], 'Usage: emperorctl ['], [['-h'], 'Usage: emperorctl ['], [['help'], 'Usage: emperorctl [']];
    for (const cmd of COMMANDS) {
      const usage = cmd === 'help' ? 'Usage: emperorctl [' : `Usage: emperorctl ${cmd}`;
      runs.push([['help', cmd], usage], [[cmd, '--help'], usage]);
    }
    const results = await Promise.all(runs.map(([args]) => ctl(empty, args)));
    runs.forEach(([args, usage], i) => {
      const r = expect(results[i] ?? { status: null, stdout: '', stderr: '' }, 0, args.join(' '));
      assert.ok(r.stdout.startsWith(usage), `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.stderr, '');
    });
    const top = results[0]?.stdout ?? '';
    for (const cmd of COMMANDS) assert.match(top, new RegExp(`^  ${cmd}\\b`, 'm'), `--help lists ${cmd}`);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('stop --all with a never-valid file in the directory stops the rest and exits 0', async () => {
  await withEmperor(async (e, run) => {
    e.write('a.ini', SLEEP);
    e.write('bad.ini', '[vassal]\ncomand = sleep 1\n');
    await e.waitState('a', 'RUNNING');
    await e.waitState('bad', 'INVALID');
    const stopAll = expect(await run(['stop', '--all']), 0, 'stop --all');
    assert.match(stopAll.stdout, /a: STOPPED\n/);
    assert.doesNotMatch(stopAll.stdout, /stoped/);
    const startAll = expect(await run(['start', '--all']), 1, 'start --all cannot start the invalid one');
    assert.match(startAll.stdout, /a: RUNNING\n/);
  });
});
