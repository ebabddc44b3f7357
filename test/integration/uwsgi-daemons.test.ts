// [uwsgi] files made only of daemon keys (SPEC sections 5 and 6), run by the emperor itself with real
// processes: attach-daemon, smart-attach-daemon, smart-attach-daemon2 and attach-daemon2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, alive, groupMembers, waitFor, type EmperorUnderTest } from './harness.ts';
import {
  assertRecorded,
  isRoot,
  linesIn,
  pidIn,
  recordOf,
  sleep,
  sleepAsNobody,
  startedAtMs,
  uidOf,
  unrelatedSleep,
  waitGone,
  withDaemons,
  type Reaper,
} from './daemon-kit.ts';

/** A [uwsgi] file of the given lines. */
const uwsgiFile = (...lines: string[]): string => ['[uwsgi]', ...lines].join('\n') + '\n';

/** A launch counter file in the test's temp dir. */
function counter(e: EmperorUnderTest, name: string): string {
  const path = join(e.root, `${name}.launches`);
  writeFileSync(path, '');
  return path;
}

async function upForASecond(e: EmperorUnderTest, name: string): Promise<void> {
  await waitFor(`${name} to be up for over 1 s`, async () => ((await e.vassal(name))?.started_at ?? Infinity) < Date.now() / 1000 - 1.2);
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '';
  }
};

test('attach-daemon: a plain vassal run through /bin/sh -c, with the file\'s env; respawned when it dies; gone with the emperor', async () => {
  await withDaemons(async (e) => {
    const launches = counter(e, 'plain');
    // `$$`, `&&` and `exec` are shell syntax: they work only through /bin/sh -c.
    e.write('plain.ini', uwsgiFile('env = GREETING=hello', `attach-daemon = echo $$ $GREETING >> ${launches} && exec sleep 100000`));
    const v = await e.waitState('plain', 'RUNNING');
    assert.equal(v.dialect, 'uwsgi');
    const p1 = v.pids[0] ?? -1;
    assert.deepEqual(linesIn(launches), [`${p1} hello`], 'run through /bin/sh -c, with env');
    assert.match(cmdline(p1), /^sleep 100000$/);
    assert.equal(recordOf(e, 'plain'), null, 'a plain attach-daemon is no smart daemon: no record');
    await upForASecond(e, 'plain');
    process.kill(p1, 'SIGKILL');
    const v2 = await e.waitVassal('plain', 'respawned', (x) => x.state === 'RUNNING' && x.pids.length === 1 && x.pids[0] !== p1, 5000);
    const p2 = v2.pids[0] ?? -1;
    assert.equal(v2.restarts, 1);
    assert.equal(v2.last_exit?.signal, 'SIGKILL');
    assert.equal(linesIn(launches).length, 2);
    // Not a smart daemon: it does not outlive the emperor.
    await e.stop('SIGTERM');
    assert.equal(e.exitCode, 0);
    assert.ok(!alive(p2), 'a plain attach-daemon does not outlive the emperor');
  });
});

test('smart-attach-daemon and attach-daemon2 pidfile=: supervised by pid, recorded, adopted after SIGTERM and SIGKILL of the emperor, stopped on removal', async () => {
  await withDaemons(async (e, r) => {
    const p1 = r.pidfile(join(e.root, 'one.pid'));
    const p2 = r.pidfile(join(e.root, 'two.pid'));
    const l1 = counter(e, 'one');
    const l2 = counter(e, 'two');
    e.write('app.ini', uwsgiFile(
      `smart-attach-daemon = ${p1} echo $$ >> ${l1} && ${FIXTURES}/fake-daemon.sh ${p1}`,
      `attach-daemon2 = cmd=echo $$ >> ${l2} && ${FIXTURES}/fake-daemon.sh ${p2},pidfile=${p2}`,
    ));
    // Two daemon lines: two vassals, app@1 and app@2.
    const v1 = await e.waitState('app@1', 'RUNNING');
    const v2 = await e.waitState('app@2', 'RUNNING');
    const d1 = pidIn(p1) ?? -1;
    const d2 = pidIn(p2) ?? -1;
    r.add(d1);
    r.add(d2);
    assert.deepEqual(v1.pids, [d1], 'stats show the pid in the pidfile');
    assert.deepEqual(v2.pids, [d2]);
    assert.notEqual(d1, Number(linesIn(l1)[0]), 'not the launcher');
    assert.notEqual(d2, Number(linesIn(l2)[0]), 'not the launcher');
    assert.equal(v1.dialect, 'uwsgi');
    assertRecorded(e, 'app@1', d1);
    assertRecorded(e, 'app@2', d2);

    await e.stop('SIGTERM');
    assert.equal(e.exitCode, 0);
    assert.ok(alive(d1) && alive(d2), 'smart daemons outlive the emperor');
    await e.relaunch();
    r.protect(e.pid);
    assert.deepEqual((await e.waitState('app@1', 'RUNNING', 5000)).pids, [d1]);
    assert.deepEqual((await e.waitState('app@2', 'RUNNING', 5000)).pids, [d2]);
    await e.stop('SIGKILL');
    await sleep(500);
    assert.ok(alive(d1) && alive(d2), 'smart daemons outlive an emperor killed by SIGKILL');
    await e.relaunch();
    r.protect(e.pid);
    assert.deepEqual((await e.waitState('app@1', 'RUNNING', 5000)).pids, [d1]);
    assert.deepEqual((await e.waitState('app@2', 'RUNNING', 5000)).pids, [d2]);
    await sleep(1500);
    assert.equal(linesIn(l1).length, 1, 'app@1 never launched twice');
    assert.equal(linesIn(l2).length, 1, 'app@2 never launched twice');

    await upForASecond(e, 'app@1');
    process.kill(d1, 'SIGKILL');
    const again = await e.waitVassal('app@1', 'respawned', (x) => x.state === 'RUNNING' && x.pids.length === 1 && x.pids[0] !== d1, 5000);
    const d1b = again.pids[0] ?? -1;
    r.add(d1b);
    assert.equal(again.restarts, 1);
    assert.equal(pidIn(p1), d1b);
    assert.equal(linesIn(l1).length, 2);
    assertRecorded(e, 'app@1', d1b);

    const t0 = Date.now();
    e.remove('app.ini');
    for (const name of ['app@1', 'app@2']) await waitFor(`${name} to disappear`, async () => (await e.vassal(name)) === undefined, 15000);
    assert.ok(Date.now() - t0 < 5000, 'TERM was enough');
    assert.ok(!alive(d1b) && !alive(d2));
    assert.ok(!existsSync(p1) && !existsSync(p2), 'the daemons removed their pidfiles on TERM');
    assert.equal(recordOf(e, 'app@1'), null);
    assert.equal(recordOf(e, 'app@2'), null);
  });
});

test('smart-attach-daemon2 and attach-daemon2 daemonize=true: the command stays in the foreground, the emperor writes its pidfile; adopted after SIGTERM and SIGKILL of the emperor; stopped whole', async () => {
  await withDaemons(async (e, r) => {
    const p1 = r.pidfile(join(e.root, 'fg1.pid'));
    const p2 = r.pidfile(join(e.root, 'fg2.pid'));
    const l1 = counter(e, 'fg1');
    e.write('fg.ini', uwsgiFile(
      `smart-attach-daemon2 = ${p1} echo $$ >> ${l1}; sleep 100000`,
      `attach-daemon2 = command=sleep 100000,pidfile=${p2},daemonize=true`,
    ));
    const v1 = await e.waitState('fg@1', 'RUNNING');
    const v2 = await e.waitState('fg@2', 'RUNNING');
    const f1 = v1.pids[0] ?? -1;
    const f2 = v2.pids[0] ?? -1;
    r.add(f1);
    r.add(f2);
    assert.equal(pidIn(p1), f1, 'the emperor wrote the pidfile with the pid of the command');
    assert.equal(pidIn(p2), f2, 'the emperor wrote the pidfile with the pid of the command');
    assert.deepEqual(linesIn(l1), [String(f1)], 'the pid is the command\'s own (its shell), started once');
    assertRecorded(e, 'fg@1', f1);
    assertRecorded(e, 'fg@2', f2);
    // What the stop must end: the command and whatever it started, in its own process group.
    const groups = new Map([[f1, groupMembers(f1)], [f2, groupMembers(f2)]]);
    for (const [pid, members] of groups) assert.ok(members.includes(pid), `pid ${pid} leads its own process group (${members.join(',')})`);

    await e.stop('SIGTERM');
    assert.ok(alive(f1) && alive(f2), 'foreground daemons outlive the emperor too');
    await e.relaunch();
    r.protect(e.pid);
    assert.deepEqual((await e.waitState('fg@1', 'RUNNING', 5000)).pids, [f1], 'adopted, not started again');
    assert.deepEqual((await e.waitState('fg@2', 'RUNNING', 5000)).pids, [f2]);
    // Though the emperor's own children, they outlive an emperor killed by SIGKILL too.
    await e.stop('SIGKILL');
    await sleep(500);
    assert.ok(alive(f1) && alive(f2), 'foreground daemons outlive an emperor killed by SIGKILL');
    await e.relaunch();
    r.protect(e.pid);
    assert.deepEqual((await e.waitState('fg@1', 'RUNNING', 5000)).pids, [f1], 'adopted again');
    assert.deepEqual((await e.waitState('fg@2', 'RUNNING', 5000)).pids, [f2]);
    await sleep(1500);
    assert.deepEqual(linesIn(l1), [String(f1)], 'never launched twice');

    e.remove('fg.ini');
    for (const name of ['fg@1', 'fg@2']) await waitFor(`${name} to disappear`, async () => (await e.vassal(name)) === undefined, 15000);
    for (const pid of groups.keys()) await waitFor(`the daemon ${pid} to be stopped`, () => !alive(pid), 2000);
    await sleep(500);
    assert.equal(recordOf(e, 'fg@1'), null);
    assert.equal(recordOf(e, 'fg@2'), null);
    const survivors = [...groups].flatMap(([pid, members]) => members.filter((m) => alive(m)).map((m) => `${m} (${cmdline(m)}), started by ${pid}`));
    assert.deepEqual(survivors, [], 'nothing a foreground daemon started outlives its stop');
  });
});

test('stale pidfiles in a [uwsgi] file (pid 1, the emperor, another user\'s process): never adopted, never signalled; each line runs its own daemon', async () => {
  await withDaemons(async (e, r) => {
    // Another user's long-running process as root; else an older process of this user stands for it.
    const other = isRoot ? sleepAsNobody() : unrelatedSleep();
    r.add(other.pid);
    const otherPid = other.pid ?? -1;
    await waitFor('the other process to run', () => alive(otherPid) && (!isRoot || uidOf(otherPid) === 65534));
    const stale = [1, e.pid, otherPid];
    const lines: string[] = [];
    const pidfiles: string[] = [];
    const launches: string[] = [];
    stale.forEach((pid, i) => {
      const pf = r.pidfile(join(e.root, `stale${i + 1}.pid`));
      writeFileSync(pf, `${pid}\n`);
      const l = counter(e, `stale${i + 1}`);
      pidfiles.push(pf);
      launches.push(l);
      lines.push(`smart-attach-daemon = ${pf} echo $$ >> ${l} && ${FIXTURES}/fake-daemon.sh ${pf}`);
    });
    const t0 = Date.now();
    e.write('stale.ini', uwsgiFile(...lines));
    const daemons: number[] = [];
    for (let i = 0; i < stale.length; i++) {
      const name = `stale@${i + 1}`;
      const v = await e.waitState(name, 'RUNNING');
      const pid = v.pids[0] ?? -1;
      r.add(pid);
      daemons.push(pid);
      assert.notEqual(pid, stale[i], `${name}: the stale pid ${stale[i]} is not adopted`);
      assert.equal(pidIn(pidfiles[i] ?? ''), pid, `${name}: its pidfile names the daemon it launched`);
      assert.ok((startedAtMs(pid) ?? 0) >= t0 - 50, `${name}: a daemon it launched`);
      assert.equal(linesIn(launches[i] ?? '').length, 1);
      assertRecorded(e, name, pid);
    }
    e.remove('stale.ini');
    for (let i = 0; i < stale.length; i++) await waitFor(`stale@${i + 1} to disappear`, async () => (await e.vassal(`stale@${i + 1}`)) === undefined, 15000);
    for (const pid of daemons) await waitGone(pid, 'its own daemon');
    assert.ok(alive(otherPid), 'the other process named by a stale pidfile was never signalled');
    assert.equal((await e.stats()).pid, e.pid, 'the emperor named by a stale pidfile was never signalled');
  });
});
