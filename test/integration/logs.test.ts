// Vassal log files end to end: exact rotation with nothing lost, streams apart, a full disk, a flood.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMPEROR_BIN, EmperorUnderTest, ROOT, vassalFile, waitFor, withEmperor as withEmperorIn } from './harness.ts';
import { freePort, httpGet } from './prom.ts';

// This file's tests pass the callback first.
const withEmperor = (fn: (e: EmperorUnderTest) => Promise<void>, args: string[] = []): Promise<void> => withEmperorIn(args, fn);

// Prints lines 1..N of 50 bytes each (with the line number) as fast as it can, then exits 0.
const counter = (n: number, stream = ''): string =>
  `sh -c 'i=1; while [ $i -le ${n} ]; do printf "%%048d\\n" $i; i=$((i+1)); done${stream}'`;

test('rotation keeps exactly N backups of whole lines, none over the limit, and nothing is lost', async () => {
  await withEmperor(async (e) => {
    const log = join(e.root, 'logs/app.log');
    e.write('app.ini', vassalFile({ command: counter(3000), log, 'log-max-size': '20K', 'log-backups': 3, restart: 'never', 'start-secs': '0' }));
    await e.waitState('app', 'EXITED', 30000);
    // 3000 lines x 49 bytes = 147000 bytes; 20K files hold 417 lines; only the last 3 backups stay.
    await waitFor('the last line in the log', () => readFileSync(log, 'utf8').endsWith(`${String(3000).padStart(48, '0')}\n`), 10000);
    assert.ok(!existsSync(`${log}.4`), 'no more than log-backups old files');
    const files = [`${log}.3`, `${log}.2`, `${log}.1`, log];
    const text = files.map((f) => readFileSync(f, 'utf8'));
    for (const [i, t] of text.entries()) {
      assert.ok(t.endsWith('\n'), `${files[i]} ends on a line boundary`);
      assert.ok(statSync(files[i] ?? '').size <= 20 * 1024, `${files[i]} stays within log-max-size`);
    }
    const numbers = text.join('').trimEnd().split('\n').map(Number);
    // The kept files hold consecutive lines up to the last one: nothing lost between files.
    const first = numbers[0] ?? 0;
    assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, k) => first + k));
    assert.equal(numbers.at(-1), 3000);
  });
});

test('a burst of 8 MB in big writes reaches the log byte for byte, in order (reads of many chunks each)', async () => {
  await withEmperor(async (e) => {
    // Lines of varying length, so a chunk boundary falls anywhere in a line.
    const source = join(e.root, 'burst.txt');
    const lines: string[] = [];
    for (let i = 0, bytes = 0; bytes < 8_000_000; i++) {
      const line = `${i} ${'x'.repeat(i % 700)}\n`;
      lines.push(line);
      bytes += line.length;
    }
    const text = lines.join('');
    writeFileSync(source, text);
    const log = join(e.root, 'logs/burst.log');
    e.write('burst.ini', vassalFile({ command: `cat ${source}`, log, restart: 'never', 'start-secs': '0' }));
    await e.waitState('burst', 'EXITED', 30000);
    await waitFor('the whole burst in the log', () => (existsSync(log) && statSync(log).size >= text.length) || null, 15000);
    assert.equal(readFileSync(log, 'utf8') === text, true, 'the log differs from what the vassal wrote');
  });
});

test('stdout-log and stderr-log keep the streams apart', async () => {
  await withEmperor(async (e) => {
    const out = join(e.root, 'o.log');
    const err = join(e.root, 'e.log');
    e.write('two.ini', vassalFile({ command: `sh -c 'echo to-out; echo to-err >&2; exec sleep 100000'`, 'stdout-log': out, 'stderr-log': err, 'start-secs': '0' }));
    await waitFor('both files', () => existsSync(out) && existsSync(err) && readFileSync(err, 'utf8') !== '' && readFileSync(out, 'utf8') !== '');
    assert.equal(readFileSync(out, 'utf8'), 'to-out\n');
    assert.equal(readFileSync(err, 'utf8'), 'to-err\n');
  });
});

test('a log on /dev/full never blocks the vassal; the drop counter rises and one event line says so', async () => {
  const port = await freePort();
  await withEmperor(async (e) => {
    const marker = join(e.root, 'finished');
    e.write('full.ini', vassalFile({ command: `sh -c '${counter(20000).slice(7, -1)}; touch ${marker}; exec sleep 100000'`, log: '/dev/full', 'start-secs': '0' }));
    await waitFor('the vassal to get through all its output', () => existsSync(marker), 30000);
    assert.equal((await e.vassal('full'))?.state, 'RUNNING');
    assert.equal(e.output.split('\n').filter((l) => l.includes('log lines dropped')).length, 1, 'said once');
    assert.match(e.output, /full: ERROR log lines dropped: cannot write \/dev\/full: ENOSPC/);
    const metrics = await httpGet(port, '/metrics');
    const dropped = Number(/^emperor_log_dropped_bytes_total\{vassal="full"\} (\d+)$/m.exec(metrics.body)?.[1]);
    assert.ok(dropped >= 20000 * 49, `emperor_log_dropped_bytes_total counts every byte: ${dropped}`);
  }, ['--metrics', `127.0.0.1:${port}`]);
});

test('a flooding vassal leaves the stats socket answering within 100 ms', async () => {
  await withEmperor(async (e) => {
    e.write('flood.ini', vassalFile({ command: `sh -c 'while :; do cat ${join(ROOT, 'README.md')}; done'`, log: join(e.root, 'flood.log'), 'log-max-size': '1M', 'log-backups': 1, 'start-secs': '0' }));
    await e.waitState('flood', 'RUNNING');
    await waitFor('the flood to fill a file', () => existsSync(join(e.root, 'flood.log.1')), 10000);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await e.stats();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    assert.ok((times[Math.floor(times.length / 2)] ?? 0) < 100, `median ${times[15]} ms`);
  });
});

test('emperorctl logs -f follows a log file across a rotation', async () => {
  await withEmperor(async (e) => {
    const log = join(e.root, 'tick.log');
    e.write('tick.ini', vassalFile({ command: `sh -c 'i=0; while :; do i=$((i+1)); printf "tick %%06d\\n" $i; sleep 0.01; done'`, log, 'log-max-size': '2K', 'log-backups': 2, 'start-secs': '0' }));
    await waitFor('a first line', () => existsSync(log) && readFileSync(log, 'utf8') !== '');
    const ctl = spawn(process.execPath, [join(EMPEROR_BIN, '../emperorctl.js'), 'logs', 'tick', '-n', '1', '-f'], { env: { ...process.env, EMPEROR_STATE_DIR: e.stateDir } });
    let out = '';
    ctl.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const rotatedFrom = statSync(log).ino;
      await waitFor('two rotations while following', () => existsSync(`${log}.2`) && statSync(log).ino !== rotatedFrom, 15000);
      await waitFor('lines after the rotations', () => out.trim().split('\n').length > 400, 15000);
      const ticks = out.trim().split('\n').map((l) => Number(l.slice(5)));
      for (let k = 1; k < ticks.length; k++) assert.equal(ticks[k], (ticks[k - 1] ?? 0) + 1, `consecutive at ${k}: ${ticks[k - 1]} then ${ticks[k]}`);
    } finally {
      ctl.kill();
    }
  });
});

test('a log path that changes closes the old file once its process is gone', async () => {
  const { readdirSync, readlinkSync } = await import('node:fs');
  await withEmperor(async (e) => {
    const openLogs = (): string[] =>
      readdirSync(`/proc/${e.pid}/fd`).flatMap((fd) => {
        try {
          const target = readlinkSync(`/proc/${e.pid}/fd/${fd}`);
          return target.endsWith('.log') ? [target] : [];
        } catch {
          return [];
        }
      });
    for (const n of [1, 2, 3]) {
      e.write('moving.ini', vassalFile({ command: `sh -c 'echo hello ${n}; exec sleep 100000'`, log: join(e.root, `l${n}.log`), 'start-secs': '100ms' }));
      await waitFor(`l${n}.log written`, () => existsSync(join(e.root, `l${n}.log`)) && readFileSync(join(e.root, `l${n}.log`), 'utf8') === `hello ${n}\n`, 10000);
    }
    await waitFor('only the current log file open', () => {
      const open = openLogs();
      return open.length === 1 && open[0] === join(e.root, 'l3.log');
    }, 10000);
  });
});

test('a logged vassal respawning again and again leaves no descriptor behind, and every run reaches the file', async () => {
  await withEmperor(async (e) => {
    const log = join(e.root, 'churn.log');
    const fds = (): number => readdirSync(`/proc/${e.pid}/fd`).length;
    // A first vassal makes the output-pair listener (one descriptor for the emperor's life).
    e.write('warm.ini', vassalFile({ command: 'sh -c "echo warm"', log: join(e.root, 'warm.log'), restart: 'never', 'start-secs': '0' }));
    await e.waitState('warm', 'EXITED');
    await waitFor('warm.log', () => existsSync(join(e.root, 'warm.log')) && readFileSync(join(e.root, 'warm.log'), 'utf8') === 'warm\n');
    const before = fds();
    e.write('churn.ini', vassalFile({ command: 'sh -c "echo out; echo err >&2"', log, 'start-secs': '0', backoff: '10ms', 'backoff-max': '20ms', instances: 2 }));
    await e.waitVassal('churn', '60 restarts', (v) => v.restarts >= 60, 30000);
    e.remove('churn.ini');
    await waitFor('churn gone', async () => (await e.vassal('churn')) === undefined, 10000);
    await waitFor(`the descriptors back to ${before}`, () => fds() <= before, 10000);
    const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 120, `${lines.length} lines`);
    assert.ok(lines.every((l) => l === 'out' || l === 'err'), 'whole lines only');
  });
});
