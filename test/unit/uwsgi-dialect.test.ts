import { test } from 'node:test';
import { defaultReadiness } from '../../src/config/readiness-spec.ts';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { formatProblem, parseVassalFile } from '../../src/config/parse-file.ts';
import type { ParsedFile, VassalSpec } from '../../src/config/spec.ts';
import { splitEscaped } from '../../src/config/uwsgi-daemons.ts';

const DIR = '/etc/emperor/vassals';
const FILE = `${DIR}/jobs.ini`;
const ENV = { HOME: '/home/app', PORT: '8080' };
const SH = (command: string): string[] => ['/bin/sh', '-c', command];
const at = (line: number, message: string): string => `${FILE}:${line}: ${message}`;

const parse = (text: string, env: Record<string, string | undefined> = ENV, file = FILE): ParsedFile => parseVassalFile(file, text, env);
/** The vassals of a valid [uwsgi] file, with no problem at all. */
const vassals = (body: string, env: Record<string, string | undefined> = ENV): VassalSpec[] => {
  const r = parse(`[uwsgi]\n${body}`, env);
  assert.deepEqual(r.problems.map(formatProblem), []);
  assert.equal(r.dialect, 'uwsgi');
  return r.vassals;
};
/** The one vassal of a valid single-daemon file. */
const daemon = (line: string, env: Record<string, string | undefined> = ENV): VassalSpec => {
  const all = vassals(`${line}\n`, env);
  assert.equal(all.length, 1);
  return all[0] as VassalSpec;
};
/** Every problem of a [uwsgi] file, formatted; with an error, no vassal. */
const problems = (body: string, env: Record<string, string | undefined> = ENV): string[] => {
  const r = parse(`[uwsgi]\n${body}`, env);
  if (r.problems.some((p) => !p.warning)) assert.deepEqual(r.vassals, []);
  return r.problems.map(formatProblem);
};
/** The command a daemon runs, after magic, and the warnings of its line. */
const expanded = (value: string, env: Record<string, string | undefined> = ENV): { command: string; warnings: string[] } => {
  const r = parse(`[uwsgi]\nattach-daemon = ${value}\n`, env);
  assert.deepEqual(r.problems.filter((p) => !p.warning), []);
  return { command: r.vassals[0]?.command[2] ?? '', warnings: r.problems.map(formatProblem) };
};

/** A vassal with every default, as the uWSGI dialect builds it. */
function uwsgiSpec(overrides: Partial<VassalSpec>): VassalSpec {
  return {
    name: 'jobs', file: FILE, dialect: 'uwsgi', command: [], directory: DIR, env: [], user: null, group: null,
    umask: null, autostart: true, instances: 1, restart: 'always', exitCodes: [0], startSecs: 1000, startRetries: 0,
    backoff: 1000, backoffMax: 60_000, stopSignal: 'SIGTERM', stopTimeout: 10_000, reloadSignal: null, log: null,
    stdoutLog: null, stderrLog: null, logMaxSize: 52_428_800, logBackups: 5, depends: [], healthCheck: null, healthInterval: 10_000, healthTimeout: 2000,
    healthRetries: 3, maxRss: null, memoryMax: null, cpuWeight: null, pidsMax: null, pidfile: null, pidfileBy: 'daemon', uwsgiApp: false, socket: null, alarm: [], schedule: null, scheduleTimezone: null, overlap: 'skip', catchUp: false, instanceNames: [], lines: {},
    ...overrides,
  };
}

test('an app file is one vassal named after the file, running uwsgi --ini FILE, stopped with INT, reloaded with HUP', () => {
  assert.deepEqual(vassals('module = app:wsgi\nmaster\nhttp-socket = :8000\n'), [
    uwsgiSpec({
      command: ['uwsgi', '--ini', FILE],
      uwsgiApp: true,
      stopSignal: 'SIGINT',
      reloadSignal: 'SIGHUP',
      // It speaks the uWSGI Emperor protocol; `http-socket` gives it workers, ready on 5.
      readiness: { ...defaultReadiness(), uwsgi: { workers: true } },
    }),
  ]);
});

test('a [uwsgi] app has workers (ready on 5) when it binds a socket, or routes HTTP with no backend; a gateway alone has none', () => {
  const workers = (body: string): boolean | undefined => vassals(body)[0]?.readiness?.uwsgi?.workers;
  assert.equal(workers('module = app\nsocket = 127.0.0.1:3031\n'), true);
  assert.equal(workers('http = :8080\nmodule = app\n'), true);
  assert.equal(workers('plugins = fastrouter\nfastrouter = 127.0.0.1:3017\nfastrouter-subscription-server = 127.0.0.1:2626\n'), false);
  assert.equal(workers('http = 127.0.0.1:8780\nhttp-to = 127.0.0.1:3017\n'), false);
});

test('an app file is passed untouched: none of uwsgi options, magic or logic is checked', () => {
  const body = [
    'master',
    'processes = %k',
    'socket = /tmp/%(id).sock',
    'chdir = $(NOPE)/x',
    'for = a b',
    '  print = %(_)',
    'endfor =',
    'frobnicate = yes ; not a comment for uWSGI',
    'smart-attach-daemon = celery.pid celery worker',
    'attach-daemon2 = nonsense',
    'env = NOT A PAIR',
  ].join('\n');
  const all = vassals(`${body}\n`, {});
  assert.deepEqual(all.map((v) => [v.name, v.uwsgiApp, v.command]), [['jobs', true, ['uwsgi', '--ini', FILE]]]);
});

test('one key that is not a daemon key makes a daemon file an app file', () => {
  const all = vassals('attach-daemon = celery worker\nenv = A=1\nmaster = true\n');
  assert.deepEqual(all.map((v) => [v.name, v.uwsgiApp]), [['jobs', true]]);
  assert.deepEqual(vassals('env = A=1\nchdir = /srv\n').map((v) => v.uwsgiApp), [true], 'no daemon at all: uwsgi runs it');
  assert.deepEqual(vassals('').map((v) => v.uwsgiApp), [true], 'an empty [uwsgi] is left to uwsgi');
});

test('other sections are fine in a uWSGI file, in both kinds, and only [uwsgi] is read', () => {
  const app = parse('[uwsgi]\nini = :base\n[base]\nmodule = app\n[celery]\nsmart-attach-daemon = /tmp/c.pid celery\n');
  assert.deepEqual(app.problems, []);
  assert.equal(app.vassals[0]?.uwsgiApp, true);
  const jobs = parse('[uwsgi]\nattach-daemon = worker\n[web]\nmodule = app\nhttp = :80\n');
  assert.deepEqual(jobs.problems, []);
  assert.deepEqual(jobs.vassals.map((v) => v.command), [SH('worker')]);
});

test('two [uwsgi] sections are read together, as uWSGI reads them', () => {
  assert.deepEqual(vassals('attach-daemon = a\n[other]\nx = 1\n[uwsgi]\nattach-daemon = b\n').map((v) => [v.name, v.command]), [
    ['jobs@1', SH('a')],
    ['jobs@2', SH('b')],
  ]);
});

test('[vassal] or [program:x] beside [uwsgi] make the file invalid', () => {
  const mixed = 'a file holds exactly one, so split it into one file per dialect';
  assert.deepEqual(problems('module = app\n[vassal]\ncommand = x\n'), [
    at(3, `this file mixes dialects: [uwsgi] (line 1) and [vassal] (line 3); ${mixed}`),
  ]);
  assert.deepEqual(problems('attach-daemon = x\n[program:web]\ncommand = y\n'), [
    at(3, `this file mixes dialects: [uwsgi] (line 1) and [program:web] (line 3); ${mixed}`),
  ]);
});

test('attach-daemon: a plain vassal running the line through /bin/sh -c, restarted always', () => {
  assert.deepEqual(daemon('attach-daemon = ./manage.py qcluster --verbose  2'), uwsgiSpec({ command: SH('./manage.py qcluster --verbose  2'), lines: { command: 2 } }));
});

test('the line is uWSGI text: `;` and `#` inside a value are kept, indented lines are keys of their own', () => {
  assert.deepEqual(daemon('attach-daemon = echo a ; echo b # c').command, SH('echo a ; echo b # c'));
  assert.deepEqual(vassals('attach-daemon = one\n  attach-daemon = two\n').map((v) => v.command), [SH('one'), SH('two')]);
});

test('several daemons: NAME@1, NAME@2... in file order, each with the whole file context', () => {
  const all = vassals(
    ['env = A=1', 'attach-daemon = first', 'chdir = /srv/app', 'smart-attach-daemon = /run/b.pid second', 'env = B=2', 'attach-daemon2 = cmd=third', 'logto = /var/log/jobs.log', 'uid = app', 'gid = staff'].join('\n'),
  );
  assert.deepEqual(all.map((v) => [v.name, v.command[2], v.pidfile, v.directory, v.env, v.log, v.user, v.group]), [
    ['jobs@1', 'first', null, '/srv/app', [['A', '1'], ['B', '2']], '/var/log/jobs.log', 'app', 'staff'],
    ['jobs@2', 'second', '/run/b.pid', '/srv/app', [['A', '1'], ['B', '2']], '/var/log/jobs.log', 'app', 'staff'],
    ['jobs@3', 'third', null, '/srv/app', [['A', '1'], ['B', '2']], '/var/log/jobs.log', 'app', 'staff'],
  ]);
  assert.deepEqual(all[1]?.lines, { env: 2, command: 5, directory: 4, log: 8, user: 9, group: 10 });
});

test('smart-attach-daemon: pidfile written by the daemon, command through sh -c, 10 s to write the pidfile', () => {
  assert.deepEqual(
    daemon('smart-attach-daemon = /run/celery.pid celery -A app worker --pidfile=/run/celery.pid'),
    uwsgiSpec({ command: SH('celery -A app worker --pidfile=/run/celery.pid'), pidfile: '/run/celery.pid', pidfileBy: 'daemon', startSecs: 10_000, lines: { command: 2 } }),
  );
  assert.equal(daemon('smart-attach-daemon = /run//x/../c.pid cmd').pidfile, '/run/c.pid');
});

test('smart-attach-daemon: `,freq` is the time the pidfile has to appear, at least 10 s', () => {
  assert.equal(daemon('smart-attach-daemon = /run/c.pid,30 celery').startSecs, 30_000);
  const r = parse('[uwsgi]\nsmart-attach-daemon = /run/c.pid,5 celery\n');
  assert.deepEqual(r.problems.map(formatProblem), [
    at(2, 'warning: `smart-attach-daemon`: `freq` (5) is raised to 10: a smart-attached daemon gets at least 10s to write its pidfile'),
  ]);
  assert.equal(r.vassals[0]?.startSecs, 10_000);
});

test('smart-attach-daemon2: same form, but the emperor writes the pidfile', () => {
  const spec = daemon('smart-attach-daemon2 = /run/celery.pid celery -A app worker');
  assert.deepEqual([spec.command, spec.pidfile, spec.pidfileBy, spec.startSecs], [SH('celery -A app worker'), '/run/celery.pid', 'emperor', 10_000]);
});

test('smart daemons: a forgotten or relative pidfile, a missing command, a bad freq', () => {
  const hint = (key: string): string =>
    `the first word of ${key} must be the absolute path of the pidfile the daemon writes, e.g. \`${key} = /run/redis.pid redis-server /etc/redis.conf\``;
  assert.deepEqual(problems('smart-attach-daemon = redis-server /etc/redis.conf\nsmart-attach-daemon2 = run/c.pid,3 celery\n'), [
    at(2, `\`smart-attach-daemon\`: \`redis-server\` is not an absolute path; ${hint('smart-attach-daemon')}`),
    at(3, `\`smart-attach-daemon2\`: \`run/c.pid\` is not an absolute path; ${hint('smart-attach-daemon2')}`),
  ]);
  assert.deepEqual(problems('smart-attach-daemon = /usr/bin/redis-server\n'), [
    at(2, `\`smart-attach-daemon\`: no command after the pidfile \`/usr/bin/redis-server\`; ${hint('smart-attach-daemon')}`),
  ]);
  assert.deepEqual(problems('smart-attach-daemon = /run/c.pid,often celery\nsmart-attach-daemon = /run/d.pid,0 celery\n'), [
    at(2, '`smart-attach-daemon`: `FREQ` in `PIDFILE,FREQ` (the seconds the pidfile may take to appear): expected a whole number from 1 to 2147483, got `often`'),
    at(3, '`smart-attach-daemon`: `FREQ` in `PIDFILE,FREQ` (the seconds the pidfile may take to appear): expected a whole number from 1 to 2147483, got `0`'),
  ]);
  assert.deepEqual(problems('attach-daemon =\nsmart-attach-daemon\n'), [
    at(2, '`attach-daemon`: no command given; write the daemon to run, e.g. `attach-daemon = celery -A app worker`'),
    at(3, '`smart-attach-daemon`: no command given; write the daemon to run, e.g. `smart-attach-daemon = /run/redis.pid redis-server /etc/redis.conf`'),
  ]);
});

test('attach-daemon2: every key with an equivalent, and `\\,` for a comma in a value', () => {
  const spec = daemon(
    'attach-daemon2 = cmd=memcached -l a\\,b -U 0,pidfile=/run/mc.pid,daemonize=true,freq=20,stopsignal=3,reloadsignal=HUP,uid=mc,gid=33,chdir=data,max_throttle=30',
  );
  assert.deepEqual(
    spec,
    uwsgiSpec({
      command: SH('memcached -l a,b -U 0'), pidfile: '/run/mc.pid', pidfileBy: 'emperor', startSecs: 20_000, stopSignal: 'SIGQUIT',
      reloadSignal: 'SIGHUP', user: 'mc', group: '33', directory: `${DIR}/data`, backoffMax: 30_000, lines: { command: 2 },
    }),
  );
});

test('attach-daemon2: pidfile alone is a daemon writing it; daemonize makes the emperor write it; neither is a plain vassal', () => {
  const mine = daemon('attach-daemon2 = command=redis-server /etc/redis.conf,pidfile=/run/redis.pid');
  assert.deepEqual([mine.pidfile, mine.pidfileBy, mine.startSecs], ['/run/redis.pid', 'daemon', 10_000]);
  const emperors = daemon('attach-daemon2 = exec=celery worker, pidfile = /run/c.pid , daemon=');
  assert.deepEqual([emperors.command, emperors.pidfile, emperors.pidfileBy], [SH('celery worker'), '/run/c.pid', 'emperor']);
  const no = daemon('attach-daemon2 = command=sleep 1,daemonize=false,pidfile=/run/s.pid');
  assert.equal(no.pidfileBy, 'daemon');
  const plain = daemon('attach-daemon2 = command=worker\\\\x,stop_signal=INT,');
  assert.deepEqual([plain.command, plain.pidfile, plain.startSecs, plain.stopSignal], [SH('worker\\x'), null, 1000, 'SIGINT']);
});

test('attach-daemon2: options with no equivalent are warnings, only when set', () => {
  const r = parse('[uwsgi]\nattach-daemon2 = command=w,control=1,touch=/tmp/a;/tmp/b,stdin=1,notifypid=yes,ns_pid=true,freq=3,max_throttle=0\n');
  const w = (m: string): string => at(2, `warning: \`attach-daemon2\`: ${m}`);
  assert.deepEqual(r.problems.map(formatProblem), [
    w('`freq=` only counts with `pidfile=` (the time the pidfile has to appear), so it is ignored'),
    w('`touch=` (reload the daemon when a file is touched) has no equivalent in emperor, so it is ignored; touch the vassal file to reload the daemon'),
    w('`control=` stops the whole uWSGI instance when the daemon dies; emperor restarts the daemon alone; it has no equivalent, so it is ignored'),
    w("`stdin=` gives the daemon uWSGI's stdin; under emperor its stdin is /dev/null; it has no equivalent, so it is ignored"),
    w('`ns_pid=` runs the daemon in a new pid namespace; emperor runs it in its own; it has no equivalent, so it is ignored'),
    w("`notifypid=` sends the daemon's pid to uWSGI's notify socket; emperor has no such socket; it has no equivalent, so it is ignored"),
  ]);
  assert.equal(r.vassals[0]?.backoffMax, 60_000);
  assert.deepEqual(vassals('attach-daemon2 = command=w,control=false,stdin=no,touch=\n').length, 1);
  const twice = parse('[uwsgi]\nattach-daemon2 = command=a,cmd=b\n');
  assert.deepEqual(twice.problems.map(formatProblem), [at(2, 'warning: `attach-daemon2`: `command` is given twice; the last one counts, as in uWSGI')]);
  assert.deepEqual(twice.vassals[0]?.command, SH('b'));
});

test('attach-daemon2: errors name the item and the fix', () => {
  const e = (m: string): string => at(2, `\`attach-daemon2\`: ${m}`);
  const example = '`attach-daemon2 = command=redis-server /etc/redis.conf,pidfile=/run/redis.pid,daemonize=true`';
  assert.deepEqual(problems('attach-daemon2 = pidfile=/run/x.pid\n'), [e(`no \`command=\`: attach-daemon2 needs the command to run, e.g. ${example}`)]);
  assert.deepEqual(problems('attach-daemon2 = command=a,pidfle=/run/x.pid,just words\n'), [
    e('unknown attach-daemon2 key `pidfle`; did you mean `pidfile`? (the keys are `command`, `cmd`, `exec`, `freq`, `pidfile`, `control`, `daemonize`, `daemon`, `touch`, `stopsignal`, `stop_signal`, `reloadsignal`, `reload_signal`, `stdin`, `uid`, `gid`, `ns_pid`, `chdir`, `max_throttle`, `notifypid`, `legion`)'),
    e('expected `key=value` items separated by commas, got `just words`; write a comma inside a value as `\\,`'),
  ]);
  assert.deepEqual(problems('attach-daemon2 = command=a,pidfile=/run/a.pid,daemonize\n'), [
    e('`daemonize` has no value, and uWSGI ignores an item without `=`; write `daemonize=true`'),
  ]);
  assert.deepEqual(problems('attach-daemon2 = command=a,daemonize=1\n'), [
    e('`daemonize=` needs `pidfile=`: the command is forked into the background and its pid written there; add `pidfile=/run/NAME.pid` or remove `daemonize`'),
  ]);
  assert.deepEqual(problems('attach-daemon2 = command=a,pidfile=a.pid,stopsignal=NOPE,daemonize=maybe,uid=a b,chdir=\n'), [
    e(`\`pidfile=\`: \`a.pid\` is not an absolute path; pidfile= must be the absolute path of the daemon's pidfile, e.g. ${example}`),
    e('`daemonize=`: expected `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`), got `maybe`'),
    e('`stopsignal=`: expected a signal such as `TERM`, `INT`, `HUP`, `QUIT` or `USR1` (also `SIGTERM`, or a number like `15`), got `NOPE`'),
    e('`uid=`: expected one user or group name or number, got `a b`'),
    e('`chdir=`: is empty; give the directory or remove it'),
  ]);
  assert.deepEqual(problems('attach-daemon2 = command=a,legion=mylegion\n'), [
    e('`legion=` runs the daemon only on the node that leads the uWSGI Legion; emperor has no Legions and would run it on every node: remove it, or leave this daemon to uwsgi'),
  ]);
});

test('splitEscaped splits as uWSGI kvlists do: a backslash escapes any character', () => {
  assert.deepEqual(splitEscaped('a=1\\,2,b=x\\\\,c', ','), ['a=1,2', 'b=x\\', 'c']);
  assert.deepEqual(splitEscaped('', ','), ['']);
  assert.deepEqual(splitEscaped('end\\', ','), ['end\\']);
});

test('env, chdir, uid, gid and logto apply to every daemon; a relative chdir or logto is against the file directory', () => {
  const spec = daemon('attach-daemon = w\nenv = PATH=/venv/bin:$(PATH)\nenv = EMPTY=\nchdir = ../app\nuid = 1000\ngid = www-data\nlogto = logs/jobs.log', { PATH: '/usr/bin' });
  assert.deepEqual(
    [spec.env, spec.directory, spec.user, spec.group, spec.log, spec.stdoutLog],
    [[['PATH', '/venv/bin:/usr/bin'], ['EMPTY', '']], '/etc/emperor/app', '1000', 'www-data', `${DIR}/logs/jobs.log`, null],
  );
  // logto has no rotation of its own: the native defaults (50M, 5 backups) apply
  assert.deepEqual([spec.logMaxSize, spec.logBackups], [50 * 1024 * 1024, 5]);
  assert.deepEqual(daemon('attach-daemon2 = command=w,uid=root,chdir=/tmp\nuid = app\nchdir = /srv').user, 'root');
  assert.deepEqual(daemon('attach-daemon2 = command=w,chdir=/tmp\nchdir = /srv').directory, '/tmp');
});

test('a repeated chdir, uid, gid or logto is a warning; the last one counts, as in uWSGI', () => {
  const r = parse('[uwsgi]\nchdir = /a\nattach-daemon = w\nchdir = /b\nuid = x\nuid = y\n');
  assert.deepEqual(r.problems.map(formatProblem), [
    at(4, 'warning: `chdir` is already set on line 2; the last one counts, as in uWSGI'),
    at(6, 'warning: `uid` is already set on line 5; the last one counts, as in uWSGI'),
  ]);
  assert.deepEqual([r.vassals[0]?.directory, r.vassals[0]?.user, r.vassals[0]?.lines], ['/b', 'y', { directory: 2, user: 5, command: 3 }]);
});

test('bad context values are errors at their line', () => {
  assert.deepEqual(problems('attach-daemon = w\nenv = JUSTNAME\nchdir =\nuid = a:b\nlogto = %k\ngid\n'), [
    at(3, '`env`: expected `KEY=VALUE`, e.g. `env = PORT=8080`, got `JUSTNAME`'),
    at(4, '`chdir` is empty; give it a value or remove the line'),
    at(5, '`uid`: expected one user or group name or number, got `a:b`'),
    at(6, 'warning: `logto`: `%k` is not a magic variable emperor knows, so it becomes empty (as uWSGI makes an unknown one); write `%%` for a percent sign'),
    at(6, '`logto`: `%k` expands to nothing; write a value that does not'),
    at(7, '`gid` is empty; give it a value or remove the line'),
  ]);
});

test("uWSGI's magic variables: %d with its trailing slash, %p %s %n %e %c %v %o %h %0 %%", () => {
  assert.equal(expanded('%d').command, `${DIR}/`);
  assert.equal(expanded('%p|%s|%n|%e|%c|%v|%o|%0|%1|%2|%9|100%%').command, `${FILE}|jobs.ini|jobs|ini|vassals|${DIR}|${FILE}|etc|emperor|vassals||100%`);
  assert.equal(expanded('%P|%S|%N|%E|%D|%C|%O').command, `${FILE}|jobs.ini|jobs|ini|${DIR}/|vassals|${FILE}`);
  assert.equal(expanded('%h').command, hostname());
  assert.equal(expanded('ends with %').command, 'ends with %');
  assert.equal(daemon('smart-attach-daemon = %dpids/%n.pid worker --name %n').pidfile, `${DIR}/pids/jobs.pid`);
  const root = parse('[uwsgi]\nattach-daemon = %d|%c|%v\n', ENV, '/jobs.ini');
  assert.deepEqual(root.vassals[0]?.command, SH('/||/'));
});

test('an unknown %x becomes empty, with a warning', () => {
  const unknown = (x: string): string =>
    at(2, `warning: \`attach-daemon\`: \`%${x}\` is not a magic variable emperor knows, so it becomes empty (as uWSGI makes an unknown one); write \`%%\` for a percent sign`);
  assert.deepEqual(expanded('date +%Y-%m %x %x'), { command: 'date +-  ', warnings: [unknown('Y'), unknown('m'), unknown('x')] });
});

test('$(VAR) comes from the environment and is left as written when unset', () => {
  assert.deepEqual(expanded('run --port $(PORT) $(NOPE) $(cat /run/x.pid) $() $(constructor)'), {
    command: 'run --port 8080 $(NOPE) $(cat /run/x.pid) $() $(constructor)',
    warnings: [],
  });
  assert.equal(expanded('$(PCT)', { PCT: '%d' }).command, '%d', 'magic runs before $(VAR): its value is not rescanned');
});

test('%(key) is the first value of another key; unknown keys, loops and @(file) stay as written, with a warning', () => {
  const first = parse('[uwsgi]\nchdir = /srv/%n\nattach-daemon = %(chdir)/bin/worker\nchdir = /other\n');
  assert.deepEqual(first.problems.map(formatProblem), [at(4, 'warning: `chdir` is already set on line 2; the last one counts, as in uWSGI')]);
  assert.deepEqual(first.vassals[0]?.command, SH('/srv/jobs/bin/worker'));
  assert.equal(first.vassals[0]?.directory, '/other');
  const r = parse('[uwsgi]\nattach-daemon = %(basedir)/w @(/etc/secret) %(attach-daemon)\n');
  const w = (m: string): string => at(2, `warning: \`attach-daemon\`: ${m}`);
  assert.deepEqual(r.problems.map(formatProblem), [
    w('`@(/etc/secret)` (the content of a file) is not expanded in a daemon-only file, so it is left as written; write the value itself'),
    w('`%(basedir)` names no key of this [uwsgi] section, so it is left as written'),
    w('`%(attach-daemon)` refers to itself through other keys, so it is left as written'),
  ]);
  assert.deepEqual(r.vassals[0]?.command, SH('%(basedir)/w @(/etc/secret) %(basedir)/w @(/etc/secret) %(attach-daemon)'));
});

test('the %i placeholder character is refused, as in native files', () => {
  assert.deepEqual(problems('attach-daemon = a\uE000b\n'), [
    at(2, '`attach-daemon`: the value holds the character U+E000, which emperor reserves for `%i`; remove it'),
  ]);
});

test('a file with more than 1000 daemons is refused at the 1001st', () => {
  const body = Array.from({ length: 1002 }, (_, i) => `attach-daemon = w${i}`).join('\n');
  assert.deepEqual(problems(`${body}\n`), [at(1002, 'more than 1000 daemons in one file; split them over several files')]);
});

test('an app file whose path holds `:` cannot be given to uwsgi --ini', () => {
  const r = parse('[uwsgi]\nmodule = app\n', ENV, '/srv/a:b/web.ini');
  assert.deepEqual(r.problems.map(formatProblem), [
    '/srv/a:b/web.ini:1: the path of this file holds `:`, which `uwsgi --ini` reads as FILE:SECTION, so uwsgi would not find it; move the file to a directory without `:`',
  ]);
});

test('every real uWSGI file of the corpus parses with no error', () => {
  const corpus = resolve(import.meta.dirname, '../../../shared/corpus/uwsgi');
  let isDir = false;
  try {
    isDir = statSync(corpus).isDirectory();
  } catch {
    isDir = false;
  }
  assert.ok(isDir, `the uWSGI corpus is missing: expected the directory ${corpus} (shared/ beside the repository)`);
  const files = readdirSync(corpus).filter((f) => f.endsWith('.ini')).sort();
  assert.ok(files.length >= 15, `expected the 15 corpus files in ${corpus}, found ${files.length}`);
  for (const name of files) {
    const path = join(corpus, name);
    const r = parseVassalFile(path, readFileSync(path, 'utf8'), {});
    assert.deepEqual(r.problems.filter((p) => !p.warning).map(formatProblem), [], name);
    assert.equal(r.dialect, 'uwsgi', name);
    assert.ok(r.vassals.length >= 1, `${name} gives no vassal`);
  }
});

test('a % before a character outside the BMP empties the whole character', () => {
  assert.equal(expanded('a%\u{1F600}b').command, 'ab');
});

test('two daemons of one file cannot share a pidfile', () => {
  assert.deepEqual(problems('smart-attach-daemon = /run/c.pid celery\nattach-daemon2 = cmd=celery beat,pidfile=/run//c.pid\n'), [
    at(3, '`attach-daemon2`: the pidfile `/run/c.pid` is already used on line 2; each daemon needs a pidfile of its own'),
  ]);
});
