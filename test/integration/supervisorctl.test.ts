// Debian's supervisorctl against emperor's --supervisor-rpc, compared with what a real supervisord answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmperorUnderTest, FIXTURES, ROOT, alive, freePort, waitFor, withEmperor } from './harness.ts';
import { SUPERVISORD, haveSupervisor, normalize, rawRequest, run, sctl, type Run } from './supervisor-kit.ts';

const skip = haveSupervisor ? false : 'Debian supervisor package not installed (.ci/run installs it)';

const PROGRAMS = [
  '[program:web]',
  "command = /bin/sh -c 'echo hello; exec sleep 1000'",
  'startsecs = 1',
  '',
  '[program:pool]',
  'command = /bin/sleep 1000',
  'numprocs = 2',
  'process_name = %(program_name)s_%(process_num)s',
  'startsecs = 0',
  '',
].join('\n');

/** The daily commands, in order, as an operator types them; both servers get the same sequence. */
const SESSION: string[][] = [
  ['status'], ['pid', 'web'], ['stop', 'web'], ['stop', 'web'], ['status', 'web'], ['start', 'web'], ['start', 'web'],
  ['restart', 'web'], ['signal', 'WINCH', 'web'], ['signal', 'BOGUS', 'web'], ['stop', 'nope'], ['start', 'nope'],
  ['status', 'nope'], ['pid', 'nope'], ['stop', 'pool:*'], ['status', 'pool:*'], ['start', 'pool:*'], ['avail'], ['reread'],
  ['update'], ['tail', 'web'], ['tail', 'nope'], ['restart', 'pool:*'], ['clear', 'web'], ['clear', 'nope'], ['status'],
];

async function session(url: string): Promise<Array<{ cmd: string; status: number | null; out: string }>> {
  const out = [];
  for (const args of SESSION) {
    const r = await sctl(url, args);
    // supervisord answers a group's stop and start in the order its processes finish, which varies from
    // run to run: for a group those lines are compared as a set (sorted on both sides).
    const text = normalize(r.stdout);
    const group = args.some((a) => a.endsWith(':*'));
    out.push({ cmd: args.join(' '), status: r.status, out: group ? text.split('\n').filter((l) => l !== '').sort().join('\n') + '\n' : text });
  }
  return out;
}

// The same programs under a real supervisord, on a temp Unix socket.
async function supervisordSession(): Promise<Awaited<ReturnType<typeof session>>> {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-sd-'));
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(conf, [
    '[unix_http_server]', `file = ${dir}/sd.sock`, '[supervisord]', `logfile = ${dir}/sd.log`, `pidfile = ${dir}/sd.pid`, `childlogdir = ${dir}`,
    '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface', '', PROGRAMS,
  ].join('\n'));
  const started = await run(['/usr/bin/python3', SUPERVISORD, '-c', conf]);
  assert.equal(started.status, 0, started.stderr);
  const url = `unix://${dir}/sd.sock`;
  try {
    await waitFor('supervisord to run its programs', async () => (await sctl(url, ['status'])).stdout.match(/RUNNING/g)?.length === 3, 15_000);
    return await session(url);
  } finally {
    const pid = Number(readFileSync(join(dir, 'sd.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
    await waitFor('supervisord to exit', () => !alive(pid), 15_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

function sockDir(): string {
  return mkdtempSync(join(tmpdir(), 'emperor-rpc-'));
}

test('supervisorctl gives the same answers and exit codes against emperor as against supervisord', { skip, timeout: 180_000 }, async (t) => {
  const dir = sockDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = `unix://${dir}/rpc.sock`;
  let ours: Awaited<ReturnType<typeof session>> = [];
  await withEmperor(['--supervisor-rpc', `unix:${dir}/rpc.sock`], async (e) => {
    e.write('app.conf', PROGRAMS);
    await waitFor('three RUNNING processes', async () => (await sctl(url, ['status'])).stdout.match(/RUNNING/g)?.length === 3, 15_000);
    ours = await session(url);
  });
  const theirs = await supervisordSession();
  for (let i = 0; i < SESSION.length; i++) assert.deepEqual(ours[i], theirs[i], `supervisorctl ${SESSION[i]?.join(' ')}`);
});

test('the socket is 0600; an INVALID file is a FATAL process with its error; shutdown and maintail are refused with what to do', { skip, timeout: 60_000 }, async (t) => {
  const dir = sockDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = `unix://${dir}/rpc.sock`;
  await withEmperor(['--supervisor-rpc', `unix://${dir}/rpc.sock`], async (e) => {
    const { existsSync, statSync } = await import('node:fs');
    await waitFor('the interface socket', () => existsSync(`${dir}/rpc.sock`));
    assert.equal(statSync(`${dir}/rpc.sock`).mode & 0o777, 0o600);
    e.write('bad.ini', '[vassal]\ncommand = sleep 1000\nnonsense\n');
    await e.waitState('bad', 'INVALID');
    const status = await sctl(url, ['status', 'bad']);
    assert.match(status.stdout, /^bad +FATAL +.*bad\.ini:3: expected `key = value`/);
    assert.equal(status.status, 3);
    // A program that exits at once: supervisord's answer and exit code for the same start.
    e.write('crash.conf', '[program:crash]\ncommand = /bin/false\nautostart = false\n');
    await e.waitState('crash', 'STOPPED');
    const crash = await sctl(url, ['start', 'crash']);
    assert.deepEqual([crash.stdout, crash.status], ['crash: ERROR (spawn error)\n', 7]);
    const start = await sctl(url, ['start', 'bad']);
    assert.equal(start.stdout, 'bad: ERROR (spawn error)\n');
    assert.equal(start.status, 7);
    const shutdown = await sctl(url, ['shutdown']);
    assert.match(shutdown.stdout, /FAILED: emperor is not stopped or restarted through this interface: use `systemctl stop emperor`/);
    assert.equal(shutdown.status, 1);
    assert.equal(e.exitCode, null, 'the emperor is still running');
    const maintail = await sctl(url, ['maintail']);
    assert.deepEqual([maintail.stdout, maintail.status], ['supervisord: ERROR (no log file)\n', 1]);
    // Event listeners are processes too, as in supervisord; they run while their section is in the file.
    e.write('ears.conf', `[eventlistener:ears]\ncommand = /usr/bin/python3 ${FIXTURES}/sd-listener.py ${dir}/ev.jsonl\nevents = TICK_60\n`);
    const listed = await waitFor('the listener in status', async () => /^ears +RUNNING +pid \d+, uptime/m.exec((await sctl(url, ['status'])).stdout));
    assert.ok(listed);
    const stop = await sctl(url, ['stop', 'ears']);
    assert.match(stop.stdout, /ears is an event listener: it runs while its \[eventlistener:ears\] section is in its file/);
    assert.equal(stop.status, 1);
    e.remove('ears.conf');
    await waitFor('the listener to go', async () => !/^ears /m.test((await sctl(url, ['status'])).stdout));
  });
});

test('tail -f follows the output until the reader leaves', { skip, timeout: 60_000 }, async (t) => {
  const dir = sockDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = `unix://${dir}/rpc.sock`;
  await withEmperor(['--supervisor-rpc', `unix:${dir}/rpc.sock`], async (e) => {
    e.write('ticker.conf', "[program:ticker]\ncommand = /bin/sh -c 'while true; do echo tick-$$; sleep 0.2; done'\nstartsecs = 0\n");
    await e.waitState('ticker', 'RUNNING');
    const { spawn } = await import('node:child_process');
    const child = spawn('/usr/bin/python3', ['/usr/bin/supervisorctl', '-s', url, 'tail', '-f', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('three followed lines', () => (out.match(/tick-\d+/g)?.length ?? 0) >= 3 && out.startsWith('==> Press Ctrl-C to exit <=='), 10_000);
    } finally {
      child.kill('SIGINT');
    }
    await new Promise((r) => child.once('close', r));
    // The emperor noticed the reader leave and keeps serving.
    assert.equal((await sctl(url, ['status', 'ticker'])).status, 0);
    // With a log file, the file is followed; `tail -N` gives its last N bytes.
    e.write('filed.conf', `[program:filed]\ncommand = /bin/sh -c 'while true; do echo line-$$; sleep 0.2; done'\nstdout_logfile = ${dir}/filed.log\nstartsecs = 0\n`);
    await e.waitState('filed', 'RUNNING');
    const follower = spawn('/usr/bin/python3', ['/usr/bin/supervisorctl', '-s', url, 'tail', '-f', 'filed'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
    try {
      const first = await waitFor('a line in the file', () => /line-\d+/.exec(readFileSync(`${dir}/filed.log`, 'utf8'))?.[0]);
      await waitFor('more lines followed than the file held', () => (followed.match(/line-\d+/g)?.length ?? 0) >= 3 && followed.includes(first), 10_000);
    } finally {
      follower.kill('SIGINT');
    }
    await new Promise((r) => follower.once('close', r));
    const last = await sctl(url, ['tail', '-5', 'filed']);
    assert.equal(last.stdout.length, 6, JSON.stringify(last.stdout));
  });
});

test('bad requests get XML-RPC faults and never disturb the emperor', { skip, timeout: 60_000 }, async (t) => {
  const dir = sockDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sock = `${dir}/rpc.sock`;
  await withEmperor(['--supervisor-rpc', `unix:${sock}`], async (e) => {
    e.write('web.ini', '[vassal]\ncommand = sleep 1000\nstart-secs = 0\n');
    await e.waitState('web', 'RUNNING');
    const fault = (r: { status: number; body: string }, code: number): void => {
      assert.equal(r.status, 200);
      assert.match(r.body, new RegExp(`<name>faultCode</name><value><int>${code}</int>`), r.body);
    };
    fault(await rawRequest(sock, 'POST', '/RPC2', '<methodCall><methodName>supervisor.getPID</methodName><params>'), 2);
    fault(await rawRequest(sock, 'POST', '/RPC2', 'not xml at all'), 2);
    fault(await rawRequest(sock, 'POST', '/RPC2', '<methodCall><methodName>supervisor.nope</methodName></methodCall>'), 1);
    // supervisord's CVE-2017-11610: a dotted path must never reach an object's attributes.
    fault(await rawRequest(sock, 'POST', '/RPC2', '<methodCall><methodName>supervisor.supervisord.options.execve</methodName></methodCall>'), 1);
    fault(await rawRequest(sock, 'POST', '/RPC2', '<methodCall><methodName>__proto__.constructor</methodName></methodCall>'), 1);
    fault(await rawRequest(sock, 'POST', '/RPC2', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall><methodName>system.listMethods</methodName></methodCall>'), 2);
    fault(await rawRequest(sock, 'POST', '/RPC2', `<methodCall><methodName>system.listMethods</methodName><params><param><value><string>${'x'.repeat(300 * 1024)}</string></value></param></params></methodCall>`), 2);
    fault(await rawRequest(sock, 'POST', '/RPC2', '<methodCall><methodName>supervisor.stopProcess</methodName><params><param><value><int>3</int></value></param></params></methodCall>'), 2);
    assert.equal((await rawRequest(sock, 'GET', '/RPC2')).status, 405);
    assert.equal((await rawRequest(sock, 'GET', '/logtail/nope')).status, 404);
    const listed = await rawRequest(sock, 'POST', '/RPC2', '<methodCall><methodName>system.listMethods</methodName></methodCall>');
    assert.match(listed.body, /supervisor\.getAllProcessInfo/);
    const multi = await rawRequest(sock, 'POST', '/RPC2', [
      '<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>',
      '<value><struct><member><name>methodName</name><value>supervisor.getAPIVersion</value></member></struct></value>',
      '<value><struct><member><name>methodName</name><value>system.multicall</value></member></struct></value>',
      '</data></array></value></param></params></methodCall>',
    ].join(''));
    assert.match(multi.body, /<string>3\.0<\/string>.*Recursive system\.multicall forbidden/s);
    assert.equal(e.exitCode, null);
    assert.equal((await e.waitState('web', 'RUNNING')).restarts, 0);
    assert.equal((await sctl(`unix://${sock}`, ['status', 'web'])).status, 0);
  });
});

test('an Ansible-style script that shells out to supervisorctl works unchanged', { skip, timeout: 90_000 }, async (t) => {
  const dir = sockDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await withEmperor(['--supervisor-rpc', `unix:${dir}/rpc.sock`], async (e) => {
    e.write('app.conf', "[program:app]\ncommand = /bin/sh -c 'exec sleep 1000'\nstartsecs = 0\nautostart = false\n");
    await e.waitState('app', 'STOPPED');
    const script = join(dir, 'deploy.sh');
    writeFileSync(script, [
      '#!/bin/sh',
      '# What Ansible\'s community.general.supervisorctl module runs for state=started, then state=restarted.',
      'set -e',
      `CTL="/usr/bin/python3 /usr/bin/supervisorctl -s unix://${dir}/rpc.sock"`,
      '$CTL reread',
      '$CTL update',
      'if ! $CTL status app | grep -q RUNNING; then $CTL start app; fi',
      '$CTL status app | grep -q RUNNING',
      '$CTL restart app | grep -q "app: started"',
      'pid=$($CTL pid app)',
      'test "$pid" -gt 0',
      'echo "deployed, pid $pid"',
    ].join('\n'));
    chmodSync(script, 0o755);
    const r = await run([script]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /No config updates to processes\napp: started\ndeployed, pid \d+\n$/);
  });
});

test('TCP needs --supervisor-rpc-auth from a root-only file, checks it, and says why it refuses', { skip, timeout: 60_000 }, async (t) => {
  const dir = sockDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const emperor = (args: string[]): Promise<Run> => run([process.execPath, join(ROOT, 'bin/emperor.js'), '--vassals', dir, '--state-dir', join(dir, 'state'), '--metrics', 'off', ...args], 20_000);
  const noAuth = await emperor(['--supervisor-rpc', `tcp://127.0.0.1:${port}`]);
  assert.equal(noAuth.status, 2);
  assert.match(noAuth.stderr, /TCP address.*--supervisor-rpc-auth FILE/);
  const bad = await emperor(['--supervisor-rpc', 'http://localhost:9001']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /`unix:\/PATH`.*`tcp:\/\/HOST:PORT`/);
  const auth = join(dir, 'auth');
  writeFileSync(auth, 'admin:s3cret\n', { mode: 0o644 });
  chmodSync(auth, 0o644);
  const open = await emperor(['--supervisor-rpc', `tcp://127.0.0.1:${port}`, '--supervisor-rpc-auth', auth]);
  assert.equal(open.status, 1);
  assert.match(open.stderr, /can be read by others \(mode 644\).*chmod 600/);
  chmodSync(auth, 0o600);
  const e = await new EmperorUnderTest(['--supervisor-rpc', `tcp://127.0.0.1:${port}`, '--supervisor-rpc-auth', auth]).start();
  try {
    e.write('web.ini', '[vassal]\ncommand = sleep 1000\nstart-secs = 0\n');
    await e.waitState('web', 'RUNNING');
    const url = `http://127.0.0.1:${port}`;
    const denied = await sctl(url, ['status']);
    assert.match(denied.stdout, /Server requires authentication/);
    const wrong = await sctl(url, ['status'], ['-u', 'admin', '-p', 'nope']);
    assert.match(wrong.stdout, /Server requires authentication/);
    const ok = await sctl(url, ['status'], ['-u', 'admin', '-p', 's3cret']);
    assert.match(ok.stdout, /^web +RUNNING +pid \d+, uptime/);
  } finally {
    assert.deepEqual(await e.cleanup(), []);
  }
});
