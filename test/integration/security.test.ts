// As root (SPEC section 10): only root's unwritable vassal files run; --tyrant runs each file as its
// owner and never as root; paths opened for a vassal (logs, pidfiles) are opened with its rights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPEROR_BIN, vassalFile, waitFor, withEmperor as withEmperorOn } from './harness.ts';

const withEmperor: typeof withEmperorOn = async (args, fn) => {
  asRoot();
  await withEmperorOn(args, fn);
};
import { testUsers, TEST_GROUP, USER_A, USER_B } from './test-users.ts';

const status = (pid: number, field: string): string[] =>
  (new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

// These tests run as root (as CI does).
const asRoot = (): void => assert.equal(process.getuid?.(), 0, 'these tests run as root (as CI does)');

test('as root: a file not owned by root, or writable by group or others, is INVALID with the fix; a running vassal is kept', async () => {
  const { a } = testUsers();
  await withEmperor([], async (e) => {
    e.write('ok.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    e.write('theirs.ini', vassalFile({ command: 'sleep 100000' }), { uid: a.uid, gid: a.gid });
    e.write('open.ini', vassalFile({ command: 'sleep 100000' }), { uid: 0, gid: 0, mode: 0o664 });
    e.write('world.ini', vassalFile({ command: 'sleep 100000' }), { uid: 0, gid: 0, mode: 0o646 });
    await e.waitState('ok', 'RUNNING');
    const theirs = await e.waitState('theirs', 'INVALID');
    assert.match(theirs.error ?? '', new RegExp(`theirs\\.ini:1: the file is owned by uid ${a.uid} \\(${USER_A}\\), not root; .*: chown root .*theirs\\.ini`));
    assert.equal(theirs.pids.length, 0);
    const open = await e.waitState('open', 'INVALID');
    assert.match(open.error ?? '', /open\.ini:1: the file is writable by group \(mode 0664\), .*: chmod go-w .*open\.ini/);
    const world = await e.waitState('world', 'INVALID');
    assert.match(world.error ?? '', /writable by others \(mode 0646\)/);
    // A running vassal whose file becomes group-writable is INVALID but keeps its process (a bad file
    // never disturbs a running vassal); fixing the mode clears the error.
    const pid = (await e.vassal('ok'))?.pids[0];
    chmodSync(join(e.vassals, 'ok.ini'), 0o664);
    const bad = await e.waitState('ok', 'INVALID');
    assert.deepEqual(bad.pids, [pid]);
    chmodSync(join(e.vassals, 'ok.ini'), 0o644);
    await e.waitVassal('ok', 'valid again', (v) => v.state !== 'INVALID');
  });
});

test('as root: a vassal directory writable by others is refused at start, naming the fix', () => {
  const root = mkdtempSync(join(tmpdir(), 'emperor-dir-'));
  try {
    const dir = join(root, 'vassals');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = spawnSync(process.execPath, [EMPEROR_BIN, '--vassals', dir, '--state-dir', join(root, 'state'), '--metrics', 'off'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`the vassal directory ${dir} is writable by group and others \\(mode 0777\\).*: chmod go-w ${dir}`));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--tyrant: a file runs as its owner and group with the owner\'s login groups; root-owned files and raised privileges are refused', async () => {
  const { a, b, groupGid } = testUsers();
  await withEmperor(['--tyrant'], async (e) => {
    e.write('mine.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }), { uid: a.uid, gid: a.gid });
    e.write('grp.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms', group: TEST_GROUP }), { uid: a.uid, gid: a.gid });
    e.write('rooted.ini', vassalFile({ command: 'sleep 100000' }));
    e.write('gid0.ini', vassalFile({ command: 'sleep 100000' }), { uid: a.uid, gid: 0 });
    e.write('raise.ini', vassalFile({ command: 'sleep 100000', user: 'root' }), { uid: a.uid, gid: a.gid });
    e.write('other.ini', vassalFile({ command: 'sleep 100000', group: TEST_GROUP }), { uid: b.uid, gid: b.gid });
    const mine = await e.waitState('mine', 'RUNNING');
    const pid = mine.pids[0] ?? 0;
    assert.equal(status(pid, 'Uid')[0], String(a.uid));
    assert.equal(status(pid, 'Gid')[0], String(a.gid));
    assert.ok(status(pid, 'Groups').includes(String(groupGid)), `login groups of ${USER_A}: ${status(pid, 'Groups').join(' ')}`);
    assert.ok(!status(pid, 'Groups').includes('0'));
    const grp = await e.waitState('grp', 'RUNNING');
    assert.equal(status(grp.pids[0] ?? 0, 'Gid')[0], String(groupGid), 'group = a group the owner is in');
    assert.match((await e.waitState('rooted', 'INVALID')).error ?? '', /rooted\.ini:1: the file is owned by root; with --tyrant a vassal runs as its file's owner and never as root: chown USER:GROUP/);
    assert.match((await e.waitState('gid0', 'INVALID')).error ?? '', /gid0\.ini:1: the file's group is root \(gid 0\)/);
    assert.match((await e.waitState('raise', 'INVALID')).error ?? '', new RegExp(`raise\\.ini:3: \`user = root\` is not allowed with --tyrant: .* runs as its owner ${USER_A} \\(uid ${a.uid}\\)`));
    assert.match((await e.waitState('other', 'INVALID')).error ?? '', new RegExp(`other\\.ini:3: \`group = ${TEST_GROUP}\` is not allowed with --tyrant: ${USER_B} \\(uid ${b.uid}\\) is not in it`));
    // A change of owner stops the vassal; a touch then runs it as the new owner.
    chownSync(join(e.vassals, 'mine.ini'), b.uid, b.gid);
    const stopped = await e.waitVassal('mine', 'stopped and INVALID', (v) => v.state === 'INVALID' && v.pids.length === 0);
    assert.match(stopped.error ?? '', new RegExp(`owner changed from ${USER_A}:${USER_A} to ${USER_B}:${USER_B}; its vassal is stopped`));
    await waitFor('the old process gone', () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.startsWith('Z'));
    const now = new Date();
    utimesSync(join(e.vassals, 'mine.ini'), now, now);
    const again = await e.waitState('mine', 'RUNNING');
    assert.equal(status(again.pids[0] ?? 0, 'Uid')[0], String(b.uid));
  });
});

test('--tyrant: a log pointing at a root-owned file, or a symlink to one, leaves it untouched; its own log is its own', async () => {
  const { a } = testUsers();
  const box = mkdtempSync(join(tmpdir(), 'emperor-secret-'));
  chmodSync(box, 0o755);
  const secret = join(box, 'shadow');
  writeFileSync(secret, 'root:secret\n', { mode: 0o644 });
  symlinkSync(secret, join(box, 'link'));
  const own = join(box, 'own');
  mkdirSync(own);
  chownSync(own, a.uid, a.gid);
  const before = statSync(secret);
  try {
    await withEmperor(['--tyrant'], async (e) => {
      const talker = `sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.05; done'`;
      e.write('direct.ini', vassalFile({ command: talker, log: secret }), { uid: a.uid, gid: a.gid });
      e.write('linked.ini', vassalFile({ command: talker, log: join(box, 'link'), 'log-max-size': '10', 'log-backups': '1' }), { uid: a.uid, gid: a.gid });
      e.write('fine.ini', vassalFile({ command: talker, log: join(own, 'fine.log') }), { uid: a.uid, gid: a.gid });
      await waitFor('its own log written', () => existsSync(join(own, 'fine.log')) && readFileSync(join(own, 'fine.log'), 'utf8').includes('line 3'));
      assert.equal(statSync(join(own, 'fine.log')).uid, a.uid, 'created as the vassal user');
      await waitFor('the refusals reported', () => /direct: ERROR log lines dropped: cannot open .*shadow as emperor-test-a: EACCES/.test(e.output) && /linked: ERROR log lines dropped: cannot open .*link as emperor-test-a: EACCES/.test(e.output));
      // Both vassals keep running; the root file is exactly as it was, and nothing was rotated onto it.
      await e.waitState('direct', 'RUNNING');
      await e.waitState('linked', 'RUNNING');
      assert.equal(readFileSync(secret, 'utf8'), 'root:secret\n');
      const after = statSync(secret);
      assert.equal(after.mtimeMs, before.mtimeMs);
      assert.equal(after.size, before.size);
      assert.ok(!existsSync(`${secret}.1`) && !existsSync(join(box, 'link.1')));
    });
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});

test('user = nobody: a pidfile the user cannot read is an error that shows none of its content', async () => {
  const box = mkdtempSync(join(tmpdir(), 'emperor-pidfile-'));
  chmodSync(box, 0o755);
  const secret = join(box, 'secret.pid');
  writeFileSync(secret, 'root:topsecret\n', { mode: 0o600 });
  try {
    await withEmperor([], async (e) => {
      e.write('d.ini', vassalFile({ 'smart-attach-daemon': `${secret} sleep 100000`, user: 'nobody' }));
      await waitFor('the pidfile refusal', () => /cannot read pidfile .*secret\.pid as nobody: EACCES/.test(e.output), 20000);
      assert.doesNotMatch(e.output, /topsecret/);
    });
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});

test('--stats-group: the stats socket (0664) belongs to that group, whose members can read it; the control socket stays root\'s 0600', async () => {
  const { a, b, groupGid } = testUsers();
  await withEmperor(['--stats-group', TEST_GROUP], async (e) => {
    chmodSync(e.root, 0o755);
    chmodSync(e.stateDir, 0o755);
    const stats = statSync(e.statsPath);
    assert.equal(stats.gid, groupGid);
    assert.equal(stats.uid, 0);
    assert.equal(stats.mode & 0o777, 0o664);
    const control = statSync(join(e.stateDir, 'control.sock'));
    assert.equal(control.mode & 0o777, 0o600);
    assert.equal(control.uid, 0);
    const read = (uid: number, gid: number): number | null =>
      spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', process.execPath, '-e',
        `require('net').createConnection(${JSON.stringify(e.statsPath)}).on('data', () => process.exit(0)).on('error', () => process.exit(3))`], { timeout: 10000 }).status;
    assert.equal(read(a.uid, a.gid), 0, `${USER_A} (in ${TEST_GROUP}) reads the stats`);
    assert.equal(read(b.uid, b.gid), 3, `${USER_B} cannot`);
  });
  const r = spawnSync(process.execPath, [EMPEROR_BIN, '--stats-group', 'no-such-group-xyz', '--metrics', 'off', '--vassals', tmpdir()], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--stats-group no-such-group-xyz: no such group in \/etc\/group/);
});

test('as root: a vassal file reached through a directory someone else can change is refused; with --tyrant, the owner\'s own directory is fine', async () => {
  const { a, b } = testUsers();
  const box = mkdtempSync(join(tmpdir(), 'emperor-chain-'));
  chmodSync(box, 0o755);
  const home = join(box, 'home-a');
  mkdirSync(home, { mode: 0o755 });
  chownSync(home, a.uid, a.gid);
  const mine = join(home, 'app.ini');
  writeFileSync(mine, vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
  chownSync(mine, a.uid, a.gid);
  const theirs = join(home, 'theirs.ini');
  writeFileSync(theirs, vassalFile({ command: 'sleep 100000' }));
  chownSync(theirs, b.uid, b.gid);
  const rootFile = join(home, 'rootfile.ini');
  writeFileSync(rootFile, vassalFile({ command: 'sleep 100000' }));
  try {
    // Without --tyrant: a root-owned file in alice's directory could be swapped by alice.
    await withEmperor([], async (e) => {
      symlinkSync(rootFile, join(e.vassals, 'via.ini'));
      const via = await e.waitState('via', 'INVALID');
      assert.match(via.error ?? '', new RegExp(`via\\.ini:1: the file is reached through ${home}, which someone other than root can change \\(owner ${USER_A}, mode 0755\\).*chown root ${home}`));
    });
    // With --tyrant: alice's file through alice's directory runs as alice; bob's file there does not.
    await withEmperor(['--tyrant'], async (e) => {
      symlinkSync(mine, join(e.vassals, 'mine.ini'));
      symlinkSync(theirs, join(e.vassals, 'theirs.ini'));
      const run = await e.waitState('mine', 'RUNNING');
      assert.equal(status(run.pids[0] ?? 0, 'Uid')[0], String(a.uid));
      const refused = await e.waitState('theirs', 'INVALID');
      assert.match(refused.error ?? '', /reached through .*home-a, which someone other than root or the file's owner can change/);
      // cp then chown (the file is first seen as root's): refused, then run as its owner, no "owner changed".
      writeFileSync(join(e.vassals, 'late.ini'), vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
      await e.waitState('late', 'INVALID');
      chownSync(join(e.vassals, 'late.ini'), a.uid, a.gid);
      const late = await e.waitState('late', 'RUNNING');
      assert.equal(status(late.pids[0] ?? 0, 'Uid')[0], String(a.uid));
    });
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});

test('user vassals: a FIFO or device as log or pidfile never hangs the emperor; directory needs the user\'s rights; rotation as the user', async () => {
  const { a } = testUsers();
  const box = mkdtempSync(join(tmpdir(), 'emperor-fifo-'));
  chmodSync(box, 0o755);
  const fifo = join(box, 'fifo');
  spawnSync('mkfifo', ['-m', '0666', fifo]);
  const own = join(box, 'own');
  mkdirSync(own);
  chownSync(own, a.uid, a.gid);
  const locked = join(box, 'locked');
  mkdirSync(locked, { mode: 0o700 });
  try {
    await withEmperor([], async (e) => {
      const talker = `sh -c 'i=0; while :; do i=$((i+1)); echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; sleep 0.01; done'`;
      e.write('fifo.ini', vassalFile({ command: talker, log: fifo, user: USER_A }));
      e.write('dev.ini', vassalFile({ command: talker, log: '/dev/zero', user: USER_A }));
      e.write('zero.ini', vassalFile({ 'smart-attach-daemon': `/dev/zero sleep 100000`, user: USER_A }));
      e.write('fifopid.ini', vassalFile({ 'smart-attach-daemon': `${fifo} sleep 100000`, user: USER_A }));
      e.write('cwd.ini', vassalFile({ command: 'sleep 100000', user: USER_A, directory: locked }));
      e.write('rot.ini', vassalFile({ command: talker, user: USER_A, log: join(own, 'rot.log'), 'log-max-size': '2K', 'log-backups': '2' }));
      // A FIFO with no reader fails at once (ENXIO) instead of waiting for one; a device is refused.
      await waitFor('the FIFO log refused', () => /fifo: ERROR log lines dropped: cannot open .*fifo as emperor-test-a: ENXIO/.test(e.output));
      await waitFor('the device log refused', () => /dev: ERROR log lines dropped: cannot open \/dev\/zero as emperor-test-a: not a regular file/.test(e.output));
      await waitFor('the /dev/zero pidfile refused', () => /cannot read pidfile \/dev\/zero as emperor-test-a: not a regular file/.test(e.output), 20000);
      await waitFor('the FIFO pidfile refused', () => /cannot read pidfile .*fifo as emperor-test-a: not a regular file/.test(e.output), 20000);
      const cwd = await e.waitVassal('cwd', 'refused its directory', (v) => /directory .*locked cannot be entered as emperor-test-a \(EACCES\)/.test(v.error ?? ''));
      assert.equal(cwd.pids.length, 0);
      // Rotated files are the user's, made with the user's rights.
      // Rotation goes on meanwhile (a file may be between two names for a moment): wait for a moment
      // when all three are there, each the user's.
      await waitFor('two rotations, every file the user\'s', () =>
        ['rot.log', 'rot.log.1', 'rot.log.2'].every((f) => {
          try {
            return statSync(join(own, f)).uid === a.uid;
          } catch {
            return false;
          }
        }),
      );
      for (const f of readdirSync(own)) assert.equal(statSync(join(own, f), { throwIfNoEntry: false })?.uid ?? a.uid, a.uid, `${f} is the user's`);
      // All along, the emperor answers.
      assert.equal((await e.stats()).vassals.length, 6);
    });
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});

test('sockets for vassals that do not run as root: a Unix path is made with the vassal\'s rights; --tyrant files get no port below 1024', async () => {
  const { a } = testUsers();
  const box = mkdtempSync(join(tmpdir(), 'emperor-sock-'));
  chmodSync(box, 0o700); // root's alone
  try {
    await withEmperor([], async (e) => {
      e.write('s.ini', vassalFile({ command: 'sleep 100000', user: USER_A, socket: `unix:${join(box, 'sub', 'app.sock')}` }));
      const v = await e.waitVassal('s', 'refused its socket path', (x) => /cannot create the directory .*sub \(EACCES\)|EACCES/.test(x.error ?? ''));
      assert.equal(v.pids.length, 0);
      assert.ok(!existsSync(join(box, 'sub')), 'nothing made in a directory the user cannot write');
    });
    await withEmperor(['--tyrant'], async (e) => {
      e.write('low.ini', vassalFile({ command: 'sleep 100000', socket: 'tcp://127.0.0.1:81' }), { uid: a.uid, gid: a.gid });
      const low = await e.waitState('low', 'INVALID');
      assert.match(low.error ?? '', /low\.ini:3: `socket` port 81 is below 1024: only root may grant one, and with --tyrant this file belongs to emperor-test-a \(uid \d+\); use a port from 1024/);
    });
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});
