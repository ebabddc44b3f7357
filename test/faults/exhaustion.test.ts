// Exhaustion: the emperor under `ulimit -n 64` (prlimit on the running emperor) with 100 vassals, and a log
// file on a full filesystem (a 1 MiB tmpfs). Spawn failures are clear errors with backoff, the sockets keep
// answering, everything recovers when the limit is lifted; log lines are dropped and counted, writing resumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vassalFile, waitFor, withEmperor, freePort } from '../integration/harness.ts';

const LONG = process.env.EMPEROR_FAULTS_LONG === '1';
const VASSALS = LONG ? 300 : 100;
const root = process.getuid?.() === 0;
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

function prlimit(pid: number, nofile: string): void {
  const r = spawnSync('prlimit', ['--pid', String(pid), `--nofile=${nofile}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test(`ulimit -n 64 with ${VASSALS} vassals: clear errors, backoff, answering sockets, recovery`, { skip: hasPrlimit ? false : 'no prlimit', timeout: 240_000 }, async () => {
  await withEmperor([], async (e) => {
    const fds = (): number => readdirSync(`/proc/${e.pid}/fd`).length;
    const hard = /Max open files\s+\d+\s+(\d+)/.exec(readFileSync(`/proc/${e.pid}/limits`, 'latin1'))?.[1] ?? '1024';
    prlimit(e.pid, `64:${hard}`);
    const t0 = Date.now();
    for (let i = 0; i < VASSALS; i++) e.write(`x${i}.ini`, vassalFile({ command: `/bin/sleep 4270.${i}`, 'start-retries': 1000, backoff: '500ms', 'backoff-max': '2s' }));
    // Under the limit: the stats socket still answers (when a descriptor is free), and spawns fail with a reason.
    let answered = 0;
    let failedReads = 0;
    const errors = new Set<string>();
    let running = 0;
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      const doc = await e.stats().catch(() => null);
      if (doc === null) failedReads++;
      else {
        answered++;
        running = doc.vassals.filter((v) => v.state === 'RUNNING').length;
        for (const v of doc.vassals) if (v.error !== null) errors.add(v.error.replace(/\d+/g, 'N'));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const fdsUnder = fds();
    prlimit(e.pid, `${hard}:${hard}`);
    const lifted = Date.now();
    await waitFor(`all ${VASSALS} RUNNING after the limit is lifted`, async () => (await e.stats()).vassals.filter((v) => v.state === 'RUNNING').length === VASSALS, 120_000, 250);
    const recovered = Date.now() - lifted;
    process.stdout.write(
      `# exhaustion: ${VASSALS} vassals under nofile 64: ${running} RUNNING at the last answered read, emperor fds ${fdsUnder}; stats answered ${answered} of ${answered + failedReads} reads; ` +
        `errors seen: ${[...errors].slice(0, 4).join(' | ') || 'none'}; all RUNNING ${recovered} ms after the limit was lifted (${Date.now() - t0} ms in all)\n`,
    );
    assert.ok(answered > 0, 'the stats socket answered under the limit');
    // Spawns keep FD_RESERVE descriptors free for the sockets (E_FD_LIMIT): before that, 20 of 28 reads were answered.
    assert.ok(answered >= 0.9 * (answered + failedReads), `the stats socket answered ${answered} of ${answered + failedReads} reads under the limit`);
    assert.ok([...errors].some((err) => /keeps N free for its sockets: raise its limit/.test(err)), "spawns refused near the limit say so (digits are N in the set)");
    for (const err of errors) assert.doesNotMatch(err, /undefined|\[object/, err);
  });
});

test('vassals of a test user under a process limit (RLIMIT_NPROC binds non-root only): backoff with the reason, recovery', { skip: hasPrlimit && root && spawnSync('id', ['emperor-test-b']).status === 0 ? false : 'needs root, prlimit and the test user emperor-test-b', timeout: 120_000 }, async () => {
  await withEmperor([], async (e) => {
    const hard = /Max processes\s+\S+\s+(\S+)/.exec(readFileSync(`/proc/${e.pid}/limits`, 'latin1'))?.[1] ?? 'unlimited';
    prlimitNproc(e.pid, `8:${hard}`);
    for (let i = 0; i < 6; i++) e.write(`u${i}.ini`, vassalFile({ command: `/bin/sh -c 'sleep 4290.${i} & sleep 4291.${i} & wait'`, user: 'emperor-test-b', backoff: '500ms', 'backoff-max': '1s', 'start-retries': 1000 }));
    // The failure says why: the program itself only printed "Cannot fork".
    const limited = await waitFor('a vassal in BACKOFF whose error names the process limit', async () => (await e.stats()).vassals.find((v) => v.state === 'BACKOFF' && /process limit, \d+ processes of RLIMIT_NPROC 8/.test(v.error ?? '')), 20_000);
    const answered = (await e.stats()).vassals.length === 6;
    prlimitNproc(e.pid, `${hard}:${hard}`);
    const t0 = Date.now();
    await waitFor('all RUNNING once the limit is lifted', async () => (await e.stats()).vassals.filter((v) => v.state === 'RUNNING').length === 6, 60_000, 250);
    const said = /u\d: .*(Cannot fork|Resource temporarily unavailable)/.exec(e.output)?.[0] ?? 'nothing';
    process.stdout.write(`# exhaustion: 6 vassals of a test user under nproc 8: ${limited.name} ${limited.state} (${limited.error ?? 'no error'}); the vassal said: ${said}; stats answered: ${answered}; all RUNNING ${Date.now() - t0} ms after the limit was lifted\n`);
    assert.ok(answered);
  });
});

function prlimitNproc(pid: number, nproc: string): void {
  const r = spawnSync('prlimit', ['--pid', String(pid), `--nproc=${nproc}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('a log file on a full 1 MiB tmpfs: lines dropped and counted, nothing else disturbed, writing resumes', { skip: root ? false : 'needs root to mount a tmpfs', timeout: 120_000 }, async () => {
  const mnt = mkdtempSync(join(tmpdir(), 'emperor-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(mnt, { recursive: true, force: true });
    return;
  }
  try {
    const port = await freePort();
    await withEmperor(['--metrics', `127.0.0.1:${port}`], async (e) => {
      const filler = join(mnt, 'filler');
      writeFileSync(filler, Buffer.alloc(900 * 1024));
      const log = join(mnt, 'chatty.log');
      e.write('chatty.ini', vassalFile({ command: `/bin/sh -c 'i=0; while :; do echo "line $i of a vassal that talks a lot, padded to about a hundred bytes ......................"; i=$((i+1)); [ $((i %% 200)) = 0 ] && sleep 0.05; done'`, log, 'log-max-size': '0' }));
      e.write('quiet.ini', vassalFile({ command: '/bin/sleep 4280.5' }));
      await e.waitState('chatty', 'RUNNING');
      await waitFor('lines dropped', () => /chatty: (ERROR )?log lines dropped: /.test(e.output), 30_000);
      const metric = async (): Promise<number> => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
        return Number(/^emperor_log_dropped_bytes_total\{vassal="chatty"\} (\d+)/m.exec(text)?.[1] ?? 0);
      };
      const dropped = await waitFor('dropped bytes counted', async () => ((await metric()) > 0 ? await metric() : 0), 10_000);
      const sizeFull = statSync(log).size;
      assert.equal((await e.vassal('quiet'))?.state, 'RUNNING');
      assert.equal((await e.vassal('chatty'))?.state, 'RUNNING', 'a full disk never stops the vassal');
      const mark = e.output.length;
      rmSync(filler);
      await waitFor('writing resumes', () => /chatty: (INFO )?log .* is writable again/.test(e.output.slice(mark)), 20_000);
      await waitFor('the log grows again by the space freed', () => statSync(log).size > sizeFull + 600 * 1024, 20_000);
      const lines = readFileSync(log, 'latin1').split('\n').filter((l) => l !== '');
      const torn = lines.filter((l) => !/^line \d+ of a vassal that talks a lot, padded to about a hundred bytes \.+$/.test(l));
      process.stdout.write(`# exhaustion: log on a full 1 MiB tmpfs: ${dropped} bytes dropped and counted, file ${sizeFull} bytes when full, resumed; ${torn.length} torn lines\n`);
      assert.deepEqual(torn.slice(0, 3), [], 'whole lines only');
      e.remove('chatty.ini');
      await waitFor('chatty gone', async () => (await e.vassal('chatty')) === undefined);
    });
  } finally {
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});

