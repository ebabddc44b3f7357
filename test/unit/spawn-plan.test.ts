// The spawn plan as data: from a spec, an instance index and the emperor's context to argv, environment,
// directory, rights, descriptors, log targets, socket and daemon rules, with no process and no file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSpawn, rightsOf, SETPRIV, SHIM, type PlanContext, type RunAs, type SpawnPlan } from '../../src/runtime/spawn-plan.ts';
import { INSTANCE_MARK, type VassalSpec } from '../../src/config/spec.ts';
import { parseVassalFile } from '../../src/config/parse-file.ts';
import { makeSpec } from './make-spec.ts';

const I = INSTANCE_MARK;
const CTX: PlanContext = {
  baseEnv: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', NOTIFY_SOCKET: '/run/systemd/notify', LISTEN_FDS: '2', WATCHDOG_USEC: '1000', UNSET: undefined },
  logDir: '/var/log/emperor',
  uwsgi: '/usr/bin/uwsgi',
  ownUid: 0,
  runAs: null,
  listenFd: null,
};
const ALICE: RunAs = {
  account: { name: 'alice', uid: 1001, gid: 1001, home: '/home/alice', shell: '/bin/bash', known: true },
  gid: 1001,
  loginGroups: [1001, 27],
};
const BARE: RunAs = { account: { name: '4242', uid: 4242, gid: 4242, home: '/', shell: '/bin/sh', known: false }, gid: 4243, loginGroups: [] };
const BASE_ENV = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', EMPEROR_VASSAL: 'web', EMPEROR_INSTANCE: '0' };

/** The plan of `spec` (instance 0 unless told) with the context's fields overridden; inputs checked unmutated. */
function plan(spec: VassalSpec, ctx: Partial<PlanContext> = {}, index = 0): SpawnPlan {
  const full = { ...CTX, ...ctx };
  const before = JSON.stringify([spec, full]);
  const p = planSpawn(spec, index, full);
  assert.equal(JSON.stringify([spec, full]), before, 'planSpawn changed its inputs');
  return p;
}

test('a plain vassal: its command as is, the emperor\'s environment without systemd\'s variables, output to the emperor', () => {
  assert.deepEqual(plan(makeSpec()), {
    argv: ['/usr/bin/node', 'server.js'],
    env: BASE_ENV,
    cwd: '/etc/emperor/vassals',
    umask: null,
    uid: 0,
    gid: null,
    rights: null,
    checkDirectory: false,
    checkProgram: null,
    stdin: 'null',
    stdout: { kind: 'emperor' },
    stderr: { kind: 'emperor' },
    listenFd: null,
    daemon: null,
    uwsgi: false,
    outputGraceMs: 20_000,
  });
});

test('%i becomes the instance index in command, env, directory and log paths; env keys override the emperor\'s', () => {
  const spec = makeSpec({
    command: ['/srv/app', `--port=80${I}`],
    env: [['PORT', `80${I}`], ['LANG', 'fr_FR.UTF-8']],
    directory: `/srv/app/${I}`,
    stdoutLog: `web-${I}.log`,
    umask: 0o027,
  });
  const p = plan(spec, {}, 3);
  assert.deepEqual(p.argv, ['/srv/app', '--port=803']);
  assert.deepEqual(p.env, { ...BASE_ENV, LANG: 'fr_FR.UTF-8', PORT: '803', EMPEROR_INSTANCE: '3' });
  assert.equal(p.cwd, '/srv/app/3');
  assert.equal(p.umask, 0o027);
  assert.deepEqual(p.stdout, { kind: 'log', path: '/var/log/emperor/web-3.log' });
  assert.deepEqual(p.stderr, { kind: 'emperor' });
});

test('log, stdout-log and stderr-log: through the emperor\'s writers, relative paths under --log-dir', () => {
  assert.deepEqual(
    [plan(makeSpec({ log: 'web.log' }))].map((p) => [p.stdout, p.stderr]),
    [[{ kind: 'log', path: '/var/log/emperor/web.log' }, { kind: 'log', path: '/var/log/emperor/web.log' }]],
  );
  const split = plan(makeSpec({ stdoutLog: '/srv/out.log', stderrLog: 'err.log' }));
  assert.deepEqual([split.stdout, split.stderr], [{ kind: 'log', path: '/srv/out.log' }, { kind: 'log', path: '/var/log/emperor/err.log' }]);
  const errOnly = plan(makeSpec({ stderrLog: 'err.log' }));
  assert.deepEqual([errOnly.stdout, errOnly.stderr], [{ kind: 'emperor' }, { kind: 'log', path: '/var/log/emperor/err.log' }]);
});

test('user: setpriv drops to the account with its login groups; its login variables win; files are opened with its rights', () => {
  const p = plan(makeSpec({ user: 'alice', env: [['HOME', '/elsewhere']], lines: { command: 2, user: 3, directory: 4 } }), { runAs: ALICE });
  assert.deepEqual(p.argv, [SETPRIV, '--reuid=1001', '--init-groups', '--regid=1001', '--', '/usr/bin/node', 'server.js']);
  assert.deepEqual(p.env, { ...BASE_ENV, HOME: '/home/alice', USER: 'alice', LOGNAME: 'alice', SHELL: '/bin/bash' });
  assert.equal(p.uid, 1001);
  assert.equal(p.gid, 1001);
  assert.deepEqual(p.rights, { name: 'alice', uid: 1001, gid: 1001, groups: [1001, 27] });
  assert.equal(p.checkDirectory, true, 'a directory the file names is checked with the vassal\'s rights');
  assert.equal(plan(makeSpec({ user: 'alice' }), { runAs: ALICE }).checkDirectory, false, 'the file\'s own directory (the default) is not');
});

test('tyrant: a uid with no passwd entry gets no supplementary groups, the file\'s group as its gid', () => {
  const p = plan(makeSpec({ user: '4242', group: '4243' }), { runAs: BARE });
  assert.deepEqual(p.argv.slice(0, 5), [SETPRIV, '--reuid=4242', '--clear-groups', '--regid=4243', '--']);
  assert.deepEqual(p.rights, { name: '4242', uid: 4242, gid: 4243, groups: [] });
  assert.equal(p.env.USER, '4242');
});

test('group alone: setpriv keeps the emperor\'s uid and groups, sets the gid; files keep the emperor\'s rights', () => {
  const p = plan(makeSpec({ group: 'www' }), { runAs: { account: null, gid: 33, loginGroups: [] }, ownUid: 0 });
  assert.deepEqual(p.argv, [SETPRIV, '--keep-groups', '--regid=33', '--', '/usr/bin/node', 'server.js']);
  assert.equal(p.uid, 0);
  assert.equal(p.gid, 33);
  assert.equal(p.rights, null);
  assert.equal(p.env.HOME, undefined);
  assert.equal(rightsOf(null), null);
});

test('socket: fd 3 through the LISTEN_PID shim, which runs behind setpriv; the program is checked before the spawn', () => {
  const p = plan(makeSpec({ user: 'alice', env: [['LISTEN_PID', '1']] }), { runAs: ALICE, listenFd: 17 });
  assert.deepEqual(p.argv, [SETPRIV, '--reuid=1001', '--init-groups', '--regid=1001', '--', ...SHIM, '/usr/bin/node', 'server.js']);
  assert.equal(p.env.LISTEN_FDS, '1');
  assert.equal(p.env.LISTEN_FDNAMES, 'web');
  assert.equal(p.env.LISTEN_PID, undefined, 'LISTEN_PID is set by the shim, in the child');
  assert.equal(p.listenFd, 17);
  assert.equal(p.checkProgram, '/usr/bin/node');
  // A bare name with no PATH is left to the spawn to explain.
  assert.equal(plan(makeSpec({ command: ['node'] }), { baseEnv: {}, listenFd: 5 }).checkProgram, null);
  assert.equal(plan(makeSpec({ command: ['node'] }), { listenFd: 5 }).checkProgram, 'node');
  assert.equal(plan(makeSpec()).checkProgram, null, 'without a socket nothing is checked before');
});

test('[uwsgi] app files run the --uwsgi binary, and say so when it is missing', () => {
  const p = plan(makeSpec({ uwsgiApp: true, command: ['uwsgi', '--ini', '/etc/emperor/vassals/web.ini'] }), { listenFd: 9 });
  assert.deepEqual(p.argv, [...SHIM, '/usr/bin/uwsgi', '--ini', '/etc/emperor/vassals/web.ini']);
  assert.equal(p.checkProgram, '/usr/bin/uwsgi');
  assert.equal(p.uwsgi, true);
});

test('a supervisord [program] plans like a native vassal: its environment, directory, user and logs', () => {
  const text = '[program:worker]\ncommand = /usr/bin/python3 worker.py\ndirectory = /srv/worker\nuser = alice\nenvironment = QUEUE="jobs"\nstdout_logfile = /var/log/worker.out\nstderr_logfile = NONE\n';
  const parsed = parseVassalFile('/etc/emperor/vassals/apps.conf', text, {});
  assert.deepEqual(parsed.problems.filter((q) => !q.warning), []);
  const spec = parsed.vassals[0] as VassalSpec;
  const p = plan(spec, { runAs: ALICE });
  assert.deepEqual(p.argv, [SETPRIV, '--reuid=1001', '--init-groups', '--regid=1001', '--', '/usr/bin/python3', 'worker.py']);
  assert.equal(p.cwd, '/srv/worker');
  assert.equal(p.env.QUEUE, 'jobs');
  assert.equal(p.env.EMPEROR_VASSAL, 'worker');
  assert.equal(p.checkDirectory, true);
  assert.deepEqual(p.stdout, { kind: 'log', path: '/var/log/worker.out' });
  assert.equal(p.stderr.kind, spec.stderrLog === null ? 'emperor' : 'log');
});

test('a daemon gets its log files themselves (one descriptor for `log`), never a pipe; its wait is at least 10 s', () => {
  const daemon = { pidfile: '/run/redis.pid', command: ['/bin/sh', '-c', 'redis-server /etc/redis.conf'], startSecs: 3000, stopTimeout: 5000 };
  const p = plan(makeSpec({ ...daemon, log: 'redis.log' }));
  assert.deepEqual([p.stdout, p.stderr], [{ kind: 'file', path: '/var/log/emperor/redis.log' }, { kind: 'stdout' }]);
  assert.deepEqual(p.daemon, { pidfile: '/run/redis.pid', pidfileBy: 'daemon', startTimeoutMs: 10_000, stopSignal: 'SIGTERM', stopTimeoutMs: 5000 });
  const bare = plan(makeSpec({ ...daemon, startSecs: 30_000, pidfileBy: 'emperor' }));
  assert.deepEqual([bare.stdout, bare.stderr], [{ kind: 'null' }, { kind: 'null' }]);
  assert.equal(bare.daemon?.startTimeoutMs, 30_000);
  assert.equal(bare.daemon?.pidfileBy, 'emperor');
  const split = plan(makeSpec({ ...daemon, stderrLog: '/var/log/redis.err' }));
  assert.deepEqual([split.stdout, split.stderr], [{ kind: 'null' }, { kind: 'file', path: '/var/log/redis.err' }]);
});

test('a daemon as a user: the uid it must run as and the rights its pidfile is read with', () => {
  const p = plan(makeSpec({ pidfile: '/run/app/app.pid', user: 'alice', stdoutLog: 'app.log' }), { runAs: ALICE });
  assert.equal(p.uid, 1001);
  assert.deepEqual(p.rights?.uid, 1001);
  assert.deepEqual(p.stdout, { kind: 'file', path: '/var/log/emperor/app.log' });
  assert.equal(p.argv[0], SETPRIV);
});

test('every combination of log keys, for a plain vassal and a daemon, as a table', () => {
  const L = '/var/log/emperor/';
  const emperor = { kind: 'emperor' };
  const none = { kind: 'null' };
  const log = (p: string): object => ({ kind: 'log', path: L + p });
  const file = (p: string): object => ({ kind: 'file', path: L + p });
  const rows: Array<[string, Partial<VassalSpec>, [object, object], [object, object]]> = [
    ['no log key', {}, [emperor, emperor], [none, none]],
    ['log', { log: 'a.log' }, [log('a.log'), log('a.log')], [file('a.log'), { kind: 'stdout' }]],
    ['stdout-log', { stdoutLog: 'o.log' }, [log('o.log'), emperor], [file('o.log'), none]],
    ['stderr-log', { stderrLog: 'e.log' }, [emperor, log('e.log')], [none, file('e.log')]],
    ['both', { stdoutLog: 'o.log', stderrLog: 'e.log' }, [log('o.log'), log('e.log')], [file('o.log'), file('e.log')]],
  ];
  for (const [name, keys, plain, daemon] of rows) {
    const p = plan(makeSpec(keys));
    assert.deepEqual([p.stdout, p.stderr], plain, `${name}, plain`);
    const d = plan(makeSpec({ ...keys, pidfile: '/run/d.pid' }));
    assert.deepEqual([d.stdout, d.stderr], daemon, `${name}, daemon`);
    assert.equal(d.stdin, 'null');
  }
});
