// Dropping, editing, touching, renaming and deleting vassal files drives real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmperorUnderTest, FIXTURES, alive, vassalFile, waitFor, withEmperor as withEmperorIn } from './harness.ts';

// This file's tests pass the callback first.
const withEmperor = (fn: (e: EmperorUnderTest) => Promise<void>, args: string[] = []): Promise<void> => withEmperorIn(args, fn);

test('a new file starts its program; deleting it stops the program', async () => {
  await withEmperor(async (e) => {
    e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const v = await e.waitState('web', 'RUNNING');
    assert.equal(v.pids.length, 1);
    assert.equal(v.dialect, 'vassal');
    assert.equal(v.file, join(e.vassals, 'web.ini'));
    const pid = v.pids[0] ?? 0;
    assert.ok(alive(pid));
    e.remove('web.ini');
    await waitFor('web to disappear', async () => (await e.vassal('web')) === undefined, 5000);
    assert.ok(!alive(pid), 'the process is gone once the vassal disappears');
  });
});

test('an edit restarts with the new command; a touch restarts; a rename is a remove and an add', async () => {
  await withEmperor(async (e) => {
    const path = e.write('app.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const first = (await e.waitState('app', 'RUNNING')).pids[0] ?? 0;
    e.write('app.ini', vassalFile({ command: 'sleep 200000', 'start-secs': '100ms' }));
    const second = await e.waitVassal('app', 'restarted', (v) => v.state === 'RUNNING' && v.pids[0] !== first);
    assert.ok(!alive(first));
    assert.equal(second.restarts, 0, 'a reload is not a restart');
    assert.match(readFileSync(`/proc/${second.pids[0]}/cmdline`, 'latin1'), /sleep\x00200000/);

    const t = new Date(Date.now() + 5000);
    utimesSync(path, t, t);
    const third = await e.waitVassal('app', 'restarted by touch', (v) => v.state === 'RUNNING' && v.pids[0] !== second.pids[0]);

    renameSync(path, join(e.vassals, 'renamed.ini'));
    const renamed = await e.waitState('renamed', 'RUNNING');
    await waitFor('app to disappear', async () => (await e.vassal('app')) === undefined, 5000);
    assert.ok(!alive(third.pids[0] ?? 0));
    assert.ok(alive(renamed.pids[0] ?? 0));
  });
});

test('a touch with reload-signal signals the process instead of restarting it', async () => {
  await withEmperor(async (e) => {
    const marks = join(e.root, 'marks');
    writeFileSync(marks, '');
    const path = e.write('sig.ini', vassalFile({ command: `${FIXTURES}/on-signal.sh ${marks}`, 'reload-signal': 'HUP', 'start-secs': '100ms' }));
    const pid = (await e.waitState('sig', 'RUNNING')).pids[0] ?? 0;
    await waitFor('the fixture to start', () => readFileSync(marks, 'utf8').includes(`start ${pid}`));
    const t = new Date(Date.now() + 5000);
    utimesSync(path, t, t);
    await waitFor('HUP to arrive', () => readFileSync(marks, 'utf8').includes(`HUP ${pid}`));
    // A supervision-only change also signals: stop-timeout does not shape the process.
    e.write('sig.ini', vassalFile({ command: `${FIXTURES}/on-signal.sh ${marks}`, 'reload-signal': 'USR1', 'start-secs': '100ms', 'stop-timeout': '3s' }));
    await waitFor('USR1 to arrive', () => readFileSync(marks, 'utf8').includes(`USR1 ${pid}`));
    assert.deepEqual((await e.vassal('sig'))?.pids, [pid], 'same process');
  });
});

test('editor leftovers and dotfiles are ignored; .conf files are picked up', async () => {
  await withEmperor(async (e) => {
    const body = vassalFile({ command: 'sleep 100000', 'start-secs': '0' });
    for (const name of ['a.ini~', '.a.ini.swp', 'a.ini.swx', 'a.ini.bak', 'a.ini.tmp', '#a.ini#', 'a.ini.dpkg-old', 'a.ini.rpmnew', 'a.ini.rpmsave', '.hidden.ini', 'notes.txt']) {
      writeFileSync(join(e.vassals, name), body);
    }
    e.write('real.conf', body);
    await e.waitState('real', 'RUNNING');
    const names = (await e.stats()).vassals.map((v) => v.name);
    assert.deepEqual(names, ['real']);
  });
});

test('an invalid edit keeps the running process and shows the error; fixing it reloads', async () => {
  await withEmperor(async (e) => {
    e.write('keep.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    const pid = (await e.waitState('keep', 'RUNNING')).pids[0];
    e.write('keep.ini', '[vassal]\ncommand = sleep 100000\nstart-secs = soon\n');
    const bad = await e.waitState('keep', 'INVALID');
    assert.deepEqual(bad.pids, [pid]);
    assert.match(bad.error ?? '', /keep\.ini:3: /);
    assert.ok(alive(pid ?? 0));
    e.write('keep.ini', vassalFile({ command: 'sleep 300000', 'start-secs': '100ms' }));
    const fixed = await e.waitVassal('keep', 'reloaded', (v) => v.state === 'RUNNING' && v.pids[0] !== pid);
    assert.equal(fixed.error, null);
  });
});

test('a file invalid from the start is INVALID with FILE:LINE errors and starts once fixed', async () => {
  await withEmperor(async (e) => {
    e.write('typo.ini', '[vassal]\ncomand = sleep 1\n');
    const v = await e.waitState('typo', 'INVALID');
    assert.match(v.error ?? '', /typo\.ini:2: unknown key `comand`; did you mean `command`\?/);
    assert.deepEqual(v.pids, []);
    e.write('typo.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '0' }));
    await e.waitState('typo', 'RUNNING');
  });
});

test('300 files dropped at once are all RUNNING', async () => {
  await withEmperor(async (e) => {
    const body = vassalFile({ command: 'sleep 100000', 'start-secs': '200ms' });
    for (let i = 0; i < 300; i++) writeFileSync(join(e.vassals, `v${i}.ini`), body);
    const doc = await waitFor('300 RUNNING', async () => {
      const s = await e.stats();
      return s.totals.RUNNING === 300 ? s : null;
    }, 60000, 200);
    assert.equal(doc.vassals.length, 300);
    assert.equal(new Set(doc.vassals.flatMap((v) => v.pids)).size, 300);
  });
});

test('a huge vassal file is INVALID without being parsed; the emperor stays responsive', async () => {
  await withEmperor(async (e) => {
    // Written whole (temp + rename): a file read while still being written showed an empty one first.
    e.write('huge.ini', `[vassal]\ncommand = sleep 1\n${'; padding\n'.repeat(150_000)}`);
    const v = await e.waitState('huge', 'INVALID');
    assert.match(v.error ?? '', /huge\.ini:1: the file is \d+ bytes; a vassal file may hold at most 1048576 bytes/);
  });
});

test('emperorctl start cannot bring back a vassal whose file is being removed', async () => {
  await withEmperor(async (e) => {
    const { spawnSync } = await import('node:child_process');
    e.write('going.ini', vassalFile({ command: `sh -c 'trap "" TERM; while :; do sleep 0.1; done'`, 'stop-timeout': '2s', 'start-secs': '100ms' }));
    const pid = (await e.waitState('going', 'RUNNING')).pids[0] ?? 0;
    e.remove('going.ini');
    await e.waitState('going', 'STOPPING');
    const r = spawnSync(process.execPath, [join(FIXTURES, '../../bin/emperorctl.js'), 'start', 'going', '--no-wait'], { encoding: 'utf8', env: { ...process.env, EMPEROR_STATE_DIR: e.stateDir } });
    assert.match(r.stdout, /going: not started: its file was removed/);
    await waitFor('going to disappear', async () => (await e.vassal('going')) === undefined, 10000);
    assert.ok(!alive(pid));
  });
});
