// The `emperor` command line: check, help, version, bad flags, --config, JSON event lines, symlinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPEROR_BIN, EmperorUnderTest, ROOT, vassalFile, waitFor } from './harness.ts';

const run = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [EMPEROR_BIN, ...args], { encoding: 'utf8', timeout: 20000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('emperor check: FILE:LINE: message per problem, exit 1 on errors, 0 when clean', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-check-'));
  try {
    writeFileSync(join(dir, 'good.ini'), vassalFile({ command: 'sleep 1' }));
    writeFileSync(join(dir, 'bad.ini'), '[vassal]\ncommand = sleep 1\nrestart = sometimes\nstop-sigal = TERM\n');
    writeFileSync(join(dir, 'ignored.ini~'), 'garbage');
    const bad = run(['check', dir]);
    assert.equal(bad.status, 1);
    const lines = bad.stdout.trim().split('\n');
    assert.equal(lines.length, 2, bad.stdout);
    assert.match(lines[0] ?? '', new RegExp(`^${join(dir, 'bad.ini')}:3: `));
    assert.match(lines[1] ?? '', /bad\.ini:4: unknown key `stop-sigal`; did you mean `stop-signal`\?$/);
    assert.match(bad.stderr, /checked 2 files/);
    const good = run(['check', join(dir, 'good.ini')]);
    assert.equal(good.status, 0);
    assert.equal(good.stdout, '');
    const missing = run(['check', join(dir, 'nope.ini')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /nope\.ini:0: cannot read: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the example vassals pass emperor check', () => {
  const r = run(['check', join(ROOT, 'vassals.example')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('--help, --version, and usage errors exit 2 with a hint', () => {
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--vassals DIR/);
  assert.match(help.stdout, /check PATH/);
  const version = run(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^emperor \d+\.\d+\.\d+\n$/);
  const typo = run(['--vassal', '/tmp']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown option --vassal; did you mean --vassals\?/);
  const format = run(['--log-format', 'xml']);
  assert.equal(format.status, 2);
  assert.match(format.stderr, /--log-format must be text or json/);
  const noDir = run(['--vassals', '/nonexistent/emperor-vassals', '--state-dir', join(tmpdir(), `emperor-nodir-${process.pid}`)]);
  assert.equal(noDir.status, 1);
  assert.match(noDir.stderr, /vassal directory \/nonexistent\/emperor-vassals cannot be used \(ENOENT\)/);
});

test('--config [emperor] sets options; a bad key names the file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-config-'));
  try {
    writeFileSync(join(dir, 'bad.ini'), '[emperor]\nlog-format = json\nrescan-intervall = 5s\n');
    const bad = run(['--config', join(dir, 'bad.ini')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.ini:3: unknown option `rescan-intervall`; did you mean `rescan-interval`\?/);
    writeFileSync(join(dir, 'good.ini'), '[emperor]\nlog-format = json\n');
    const e = await new EmperorUnderTest(['--config', join(dir, 'good.ini')]).start();
    try {
      e.write('j.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '0' }));
      await e.waitState('j', 'RUNNING');
      const line = await waitFor('a JSON RUNNING line', () => e.output.split('\n').find((l) => l.includes('"RUNNING"')));
      const ev = JSON.parse(line) as Record<string, unknown>;
      assert.equal(ev.vassal, 'j');
      assert.equal(ev.instance, 0);
      assert.equal(ev.state, 'RUNNING');
      assert.equal(typeof ev.pid, 'number');
      assert.equal(typeof ev.time, 'string');
    } finally {
      assert.deepEqual(await e.cleanup(), []);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a symlinked vassal file is followed', async () => {
  const e = await new EmperorUnderTest().start();
  try {
    const target = join(e.root, 'elsewhere');
    mkdirSync(target);
    writeFileSync(join(target, 'real.ini'), vassalFile({ command: 'sleep 100000', 'start-secs': '0' }));
    symlinkSync(join(target, 'real.ini'), join(e.vassals, 'linked.ini'));
    const v = await e.waitState('linked', 'RUNNING');
    assert.equal(v.file, join(e.vassals, 'linked.ini'));
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('an edit of a symlinked vassal file\'s target reloads it (the target lives outside the directory)', async () => {
  const e = await new EmperorUnderTest().start();
  try {
    const target = join(e.root, 'elsewhere');
    mkdirSync(target);
    writeFileSync(join(target, 'real.ini'), vassalFile({ command: 'sleep 100000', 'start-secs': '0' }));
    symlinkSync(join(target, 'real.ini'), join(e.vassals, 'linked.ini'));
    const first = (await e.waitState('linked', 'RUNNING')).pids[0];
    // The target's watch is set up a moment after the vassal may already run: an edit made before it
    // exists is heard only by the full rescan (30 s), so the edit is made again until one is heard.
    let reloaded = false;
    for (let n = 1; n <= 5 && !reloaded; n++) {
      writeFileSync(join(target, 'real.ini'), vassalFile({ command: `sleep ${100000 + n}`, 'start-secs': '0' }));
      reloaded = await e.waitVassal('linked', 'to run the edited command', (v) => v.state === 'RUNNING' && v.pids[0] !== first, 2000).then(
        () => true,
        () => false,
      );
    }
    assert.ok(reloaded, 'an edit of the target was heard well before the full rescan');
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('SIGHUP re-reads --config: a new rescan-interval applies, other changes ask for a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-hup-'));
  const config = join(dir, 'emperor.ini');
  writeFileSync(config, '[emperor]\nrescan-interval = 1h\n');
  const e = await new EmperorUnderTest(['--config', config]).start();
  try {
    writeFileSync(config, '[emperor]\nrescan-interval = 5s\nlog-format = json\n');
    process.kill(e.pid, 'SIGHUP');
    await waitFor('the new interval', () => e.output.includes('rescan-interval is now 5s'));
    await waitFor('the restart hint', () => e.output.includes('logFormat changed in --config: restart the emperor to apply it'));
    writeFileSync(config, '[emperor]\nrescan-interval = never\n');
    process.kill(e.pid, 'SIGHUP');
    await waitFor('the refusal', () => /--config .*emperor\.ini not applied: --rescan-interval: /.test(e.output));
    assert.equal((await e.stats()).pid, e.pid, 'still serving');
  } finally {
    assert.deepEqual(await e.cleanup(), []);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stale emperor.pid whose pid now belongs to a newer process (even one named like an emperor) is taken over', async () => {
  const { copyFileSync, utimesSync } = await import('node:fs');
  const { spawn } = await import('node:child_process');
  const e = new EmperorUnderTest();
  mkdirSync(e.stateDir, { recursive: true });
  const lookalike = join(e.root, 'emperor-lookalike');
  copyFileSync('/bin/sleep', lookalike);
  const impostor = spawn(lookalike, ['100000'], { stdio: 'ignore' });
  try {
    const pidFile = join(e.stateDir, 'emperor.pid');
    writeFileSync(pidFile, `${impostor.pid}\n`);
    const past = new Date(Date.now() - 60_000); // written long before that process started: a reused pid
    utimesSync(pidFile, past, past);
    await e.start();
    assert.equal((await e.stats()).pid, e.pid);
  } finally {
    impostor.kill('SIGKILL');
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('every file of the shared corpus passes emperor check (variables unset here are warnings)', () => {
  const corpus = join(ROOT, '../shared/corpus');
  const r = run(['check', join(corpus, 'supervisord'), join(corpus, 'uwsgi')]);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stderr, /checked 31 files: \d+ vassals, 0 errors/);
  assert.doesNotMatch(r.stdout, /^(?!.*warning:).+$/m, 'warnings only');
});

test('emperor systemd-unit prints a Type=notify unit for this installation that systemd-analyze accepts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-unit-'));
  try {
    // No directory named needs to exist; relative paths become absolute; % and spaces are escaped.
    const vassals = join(dir, 'not yet', '100%');
    const r = spawnSync(process.execPath, [EMPEROR_BIN, 'systemd-unit', '--vassals', vassals, '--metrics', '127.0.0.1:9500', '--state-dir', 'rel', '--timeout-stop', '2m', '--watchdog', '10s'], {
      encoding: 'utf8',
      cwd: dir,
    });
    assert.equal(r.status, 0, r.stderr);
    const unit = r.stdout;
    const exec = `ExecStart=${process.execPath} ${join(ROOT, 'bin/emperor.js')} --vassals "${join(dir, 'not yet', '100%%')}" --metrics 127.0.0.1:9500 --state-dir ${join(dir, 'rel')}`;
    const lines = unit.split('\n');
    assert.ok(lines.includes(exec), `${exec}\nin\n${unit}`);
    for (const line of ['Type=notify', 'NotifyAccess=main', 'KillMode=process', 'ExecReload=/bin/kill -HUP $MAINPID', 'Restart=always', 'WatchdogSec=10s', 'TimeoutStopSec=120s', 'WantedBy=multi-user.target']) {
      assert.ok(lines.includes(line), `${line} in the unit`);
    }
    // /run/emperor is systemd's to make only when the emperor uses it.
    assert.ok(!unit.includes('RuntimeDirectory='));
    const file = join(dir, 'emperor.service');
    writeFileSync(file, unit);
    const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
    assert.doesNotMatch(verify.stderr, /emperor\.service/, verify.stderr);
    // Defaults: /run/emperor as a preserved RuntimeDirectory, a generous stop timeout, a 30 s watchdog.
    const plain = run(['systemd-unit']);
    assert.equal(plain.status, 0, plain.stderr);
    for (const line of ['RuntimeDirectory=emperor', 'RuntimeDirectoryPreserve=yes', 'TimeoutStopSec=300s', 'WatchdogSec=30s', `ExecStart=${process.execPath} ${join(ROOT, 'bin/emperor.js')}`]) {
      assert.ok(plain.stdout.split('\n').includes(line), `${line} in\n${plain.stdout}`);
    }
    assert.ok(run(['systemd-unit', '--watchdog', 'off']).stdout.split('\n').includes('WatchdogSec=0'));
    // Unit options belong to systemd-unit only; bad values are usage errors.
    const misplaced = run(['--watchdog', '10s']);
    assert.equal(misplaced.status, 2);
    assert.match(misplaced.stderr, /--watchdog is an option of `emperor systemd-unit`/);
    const badValue = run(['systemd-unit', '--metrics', 'nowhere']);
    assert.equal(badValue.status, 2);
    assert.match(badValue.stderr, /--metrics must be HOST:PORT or off/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
