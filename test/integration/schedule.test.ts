// Scheduled vassals against real processes: an every-second job, its states and next_run, and emperorctl run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctl, EmperorUnderTest, vassalFile, waitFor, withEmperor } from './harness.ts';

const runsIn = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length : 0);

test('schedule: an every-second job runs each second, EXITED between runs, with next_run in the stats and status', async () => {
  await withEmperor([], async (e) => {
    const out = join(e.root, 'runs.txt');
    e.write('tick.ini', vassalFile({ command: `/bin/sh -c 'echo run >> ${out}'`, schedule: '* * * * * *' }));
    const first = await e.waitVassal('tick', 'loaded with a next run', (v) => v.next_run !== null);
    assert.ok(first.state === 'STOPPED' || runsIn(out) > 0, `STOPPED until its first run (${first.state})`);
    await waitFor('three runs', () => runsIn(out) >= 3 || null, 15000);
    const between = await e.waitVassal('tick', 'EXITED between runs', (v) => v.state === 'EXITED');
    assert.equal(between.last_exit?.code, 0);
    assert.ok((between.next_run ?? 0) >= Date.now() / 1000 - 1, 'next_run is ahead');
    assert.equal(between.error, null, 'a quick success is not a failed start');
    assert.doesNotMatch(e.output, /tick\[0\]: WARN BACKOFF/);
    const status = await ctl(e.stateDir, ['status']);
    assert.match(status.stdout, /next run in/);
  });
});

test('schedule: emperorctl run starts a run now, and says why it will not', async () => {
  await withEmperor([], async (e) => {
    e.write('nightly.ini', vassalFile({ command: 'sleep 30', schedule: '@yearly', 'stop-timeout': '1s' }));
    e.write('web.ini', vassalFile({ command: 'sleep 30' }));
    await e.waitState('nightly', 'STOPPED');
    await e.waitState('web', 'RUNNING');
    const started = await ctl(e.stateDir, ['run', 'nightly']);
    assert.equal(started.status, 0, started.stderr);
    assert.match(started.stdout, /nightly: started/);
    await e.waitState('nightly', 'RUNNING');
    const again = await ctl(e.stateDir, ['run', 'nightly']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /nightly is already running and has `overlap = skip`/);
    const plain = await ctl(e.stateDir, ['run', 'web']);
    assert.equal(plain.status, 1);
    assert.match(plain.stderr, /web has no `schedule`/);
    const unknown = await ctl(e.stateDir, ['run', 'nope']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no vassal named nope/);
  });
});

test('schedule: each overlap rule against a run still going (every second, runs of 2.5 s)', async () => {
  await withEmperor([], async (e) => {
    for (const overlap of ['skip', 'queue', 'kill']) {
      e.write(`${overlap}.ini`, vassalFile({ command: 'sleep 2.5', schedule: '* * * * * *', overlap, 'stop-timeout': '1s' }));
    }
    await waitFor('a skipped run', () => /skip: WARN run skipped \(scheduled for [^)]+\): the last run is still going \(overlap = skip\)/.test(e.output) || null, 15000);
    await waitFor('a queued run that starts when the run ends', () => (/queue: run queued/.test(e.output) && /queue: run \(queued\)/.test(e.output)) || null, 15000);
    await waitFor('a run killed and started anew', () => /kill: WARN run \(scheduled for [^)]+\): the last run is still going; stopping it first \(overlap = kill\)/.test(e.output) || null, 15000);
    assert.doesNotMatch(e.output, /skip: WARN run \(scheduled/, 'skip never kills');
    assert.doesNotMatch(e.output, /queue: WARN run skipped/, 'queue never skips');
    for (const overlap of ['skip', 'queue', 'kill']) e.remove(`${overlap}.ini`);
    for (const overlap of ['skip', 'queue', 'kill']) await waitFor(`${overlap} removed`, async () => (await e.vassal(overlap)) === undefined || null);
  });
});

test('schedule: catch-up = true runs a job whose time passed while the emperor was down; without it, the job waits', async () => {
  const e = new EmperorUnderTest();
  try {
    // The last runs the previous emperor recorded: a year ago, before the 1 January midnight that passed since.
    mkdirSync(e.stateDir, { recursive: true });
    const yearAgo = Date.now() - 366 * 86_400_000;
    writeFileSync(join(e.stateDir, 'schedule-runs.json'), JSON.stringify({ late: yearAgo, patient: yearAgo }));
    e.write('late.ini', vassalFile({ command: 'true', schedule: '0 0 1 1 *', 'catch-up': 'true' }));
    e.write('patient.ini', vassalFile({ command: 'true', schedule: '0 0 1 1 *' }));
    await e.start();
    const late = await e.waitVassal('late', 'caught up: one run, EXITED', (v) => v.state === 'EXITED' && v.last_exit?.code === 0);
    assert.ok((late.next_run ?? 0) > Date.now() / 1000);
    const patient = await e.waitState('patient', 'STOPPED');
    assert.ok((patient.next_run ?? 0) > Date.now() / 1000);
    assert.match(e.output, /late: run \(catch-up: missed /);
    assert.doesNotMatch(e.output, /patient: run/);
    const runs = JSON.parse(readFileSync(join(e.stateDir, 'schedule-runs.json'), 'utf8')) as Record<string, number>;
    assert.ok((runs.late ?? 0) > yearAgo, 'the catch-up run is recorded');
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});
