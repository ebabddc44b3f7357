import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { formatProblem, parseVassalFile } from '../../src/config/parse-file.ts';
import { INSTANCE_MARK } from '../../src/config/spec.ts';
import type { ParsedFile, VassalSpec } from '../../src/config/spec.ts';

const DIR = '/etc/emperor/vassals';
const FILE = `${DIR}/apps.conf`;
const ENV = { HOME: '/home/app', PORT: '8080', SPACED: 'a b' };
const I = INSTANCE_MARK;

const parse = (text: string, env: Record<string, string | undefined> = ENV): ParsedFile => parseVassalFile(FILE, text, env);
/** Every problem of a file, formatted; a file with an error gives no vassal. */
const problems = (text: string, env: Record<string, string | undefined> = ENV): string[] => {
  const r = parse(text, env);
  if (r.problems.some((p) => !p.warning)) assert.deepEqual(r.vassals, []);
  return r.problems.map(formatProblem);
};
/** The vassals of a file that has no error (warnings allowed). */
const vassals = (text: string, env: Record<string, string | undefined> = ENV): VassalSpec[] => {
  const r = parse(text, env);
  assert.deepEqual(r.problems.filter((p) => !p.warning).map(formatProblem), []);
  assert.equal(r.dialect, 'supervisord');
  return r.vassals;
};
/** The one vassal of `[program:web]` followed by `body`. */
const web = (body: string, env: Record<string, string | undefined> = ENV): VassalSpec => {
  const list = vassals(`[program:web]\n${body}`, env);
  assert.equal(list.length, 1);
  return list[0] as VassalSpec;
};
const at = (line: number, message: string): string => `${FILE}:${line}: ${message}`;
const warnAt = (line: number, message: string): string => `${FILE}:${line}: warning: ${message}`;

test('a minimal program gets supervisord defaults where they differ from native ones', () => {
  assert.deepEqual(web('command = /usr/bin/python3 app.py\n'), {
    name: 'web',
    file: FILE,
    dialect: 'supervisord',
    command: ['/usr/bin/python3', 'app.py'],
    directory: DIR,
    env: [],
    user: null,
    group: null,
    umask: null,
    autostart: true,
    instances: 1,
    restart: 'on-failure',
    exitCodes: [0],
    startSecs: 1000,
    startRetries: 4,
    backoff: 1000,
    backoffMax: 60_000,
    stopSignal: 'SIGTERM',
    stopTimeout: 10_000,
    reloadSignal: null,
    log: null,
    stdoutLog: null,
    stderrLog: null,
    logMaxSize: 52_428_800,
    logBackups: 10,
    depends: [],
    healthCheck: null,
    healthInterval: 10_000,
    healthTimeout: 2000,
    healthRetries: 3,
    maxRss: null,
    memoryMax: null,
    cpuWeight: null,
    pidsMax: null,
    pidfile: null,
    pidfileBy: 'daemon',
    uwsgiApp: false,
    socket: null,
    alarm: [],
    schedule: null,
    scheduleTimezone: null,
    overlap: 'skip',
    catchUp: false,
    instanceNames: ['web'],
    lines: { command: 2 },
  });
});

test('every mapped key lands in its field, with its line', () => {
  const v = web(
    [
      'command=/srv/bin/app --port 80',
      'directory=/srv/app',
      'environment=A="1",B=two',
      'user=www-data',
      'umask=027',
      'autostart=false',
      'autorestart=true',
      'startsecs=5',
      'startretries=0',
      'stopsignal=QUIT',
      'stopwaitsecs=30',
      'exitcodes=0,2',
      'numprocs=1',
      'stopasgroup=true',
      'killasgroup=true',
      'stdout_logfile=/var/log/app.out',
      'stderr_logfile=/var/log/app.err',
    ].join('\n'),
  );
  assert.deepEqual(v.command, ['/srv/bin/app', '--port', '80']);
  assert.equal(v.directory, '/srv/app');
  assert.deepEqual(v.env, [['A', '1'], ['B', 'two']]);
  assert.equal(v.user, 'www-data');
  assert.equal(v.group, null);
  assert.equal(v.umask, 0o027);
  assert.equal(v.autostart, false);
  assert.equal(v.restart, 'always');
  assert.equal(v.startSecs, 5000);
  assert.equal(v.startRetries, 1);
  assert.equal(v.stopSignal, 'SIGQUIT');
  assert.equal(v.stopTimeout, 30_000);
  assert.deepEqual(v.exitCodes, [0, 2]);
  assert.equal(v.instances, 1);
  assert.equal(v.stdoutLog, '/var/log/app.out');
  assert.equal(v.stderrLog, '/var/log/app.err');
  assert.equal(v.log, null);
  assert.deepEqual(v.lines, {
    command: 2, directory: 3, env: 4, user: 5, umask: 6, autostart: 7, restart: 8, startSecs: 9, startRetries: 10,
    stopSignal: 11, stopTimeout: 12, exitCodes: 13, instances: 14, stdoutLog: 17, stderrLog: 18,
  });
});

test('autorestart: false -> never, unexpected -> on-failure, true -> always', () => {
  assert.equal(web('command=x\nautorestart=false\n').restart, 'never');
  assert.equal(web('command=x\nautorestart=unexpected\n').restart, 'on-failure');
  assert.equal(web('command=x\nautorestart=TRUE\n').restart, 'always');
  assert.equal(web('command=x\nautorestart=off\n').restart, 'never');
  assert.deepEqual(problems('[program:web]\ncommand=x\nautorestart=sometimes\n'), [
    at(3, '`autorestart`: expected `true`, `false` or `unexpected`, got `sometimes`'),
  ]);
});

test('startretries = N keeps supervisord\'s meaning: N retries after the first attempt', () => {
  assert.equal(web('command=x\n').startRetries, 4);
  assert.equal(web('command=x\nstartretries=0\n').startRetries, 1);
  assert.equal(web('command=x\nstartretries = 10\n').startRetries, 11);
});

test('seconds, codes, signals and umasks are read as supervisord reads them', () => {
  assert.equal(web('command=x\nstartsecs=0\n').startSecs, 0);
  assert.deepEqual(web('command=x\nexitcodes=\n').exitCodes, []);
  assert.deepEqual(web('command=x\nexitcodes= 0, 2 ,2\n').exitCodes, [0, 2]);
  assert.equal(web('command=x\nstopsignal=9\n').stopSignal, 'SIGKILL');
  assert.equal(web('command=x\nstopsignal=SIGHUP\n').stopSignal, 'SIGHUP');
  assert.deepEqual(
    problems('[program:web]\ncommand=x\nstartsecs=10s\nstopwaitsecs=-1\nexitcodes=0 2\nstopsignal=NOPE\numask=999\nnumprocs=0\nuser=a:b\nautostart=maybe\n'),
    [
      at(3, '`startsecs`: expected a whole number of seconds from 0 to 2147483 (supervisord takes no units), got `10s`'),
      at(4, '`stopwaitsecs`: expected a whole number of seconds from 0 to 2147483 (supervisord takes no units), got `-1`'),
      at(5, '`exitcodes`: expected exit codes from 0 to 255 separated by commas, e.g. `0,2`, got `0 2`'),
      at(6, '`stopsignal`: expected a signal such as `TERM`, `INT`, `HUP`, `QUIT` or `USR1` (also `SIGTERM`, or a number like `15`), got `NOPE`'),
      at(7, '`umask`: expected an octal umask such as `022` or `0o027`, got `999`'),
      at(8, '`numprocs`: expected a whole number from 1 to 1000, got `0`'),
      at(9, '`user`: expected one user or group name or number, got `a:b`'),
      at(10, '`autostart`: expected `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`), got `maybe`'),
    ],
  );
});

test('command is split like shlex.split, without a shell: $( and shell syntax stay as written', () => {
  assert.deepEqual(web(`command=/bin/bash -c 'env $(grep -vE "^(#.*|\\s*)$" /etc/x) run'\n`).command, [
    '/bin/bash',
    '-c',
    'env $(grep -vE "^(#.*|\\s*)$" /etc/x) run',
  ]);
  assert.deepEqual(web('command=a "b c" \'d e\' f\\ g "h\\"i" "j\\$k" \'\'\n').command, ['a', 'b c', 'd e', 'f g', 'h"i', 'j\\$k', '']);
  assert.deepEqual(web('command=/usr/sbin/syslog-ng --foreground  --no-caps | tee x > y\n').command, [
    '/usr/sbin/syslog-ng', '--foreground', '--no-caps', '|', 'tee', 'x', '>', 'y',
  ]);
  assert.deepEqual(web('command=/bin/app\n  --verbose\n  --port 80\n').command, ['/bin/app', '--verbose', '--port', '80']);
  assert.deepEqual(problems('[program:web]\ncommand=app "unclosed\n'), [
    at(2, '`command`: unterminated double quote: `"unclosed` has no closing `"`; close it, or escape it as `\\"`'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=""x\n[program:api]\ncommand=\nuser=a\n[program:db]\nuser=a\n'), [
    at(4, '`command` is empty; give it a value or remove the line'),
    at(6, '[program:db] has no `command`: supervisord needs the program to run, e.g. `command = /usr/bin/python3 app.py`'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand="" x\n'), [
    at(2, '`command`: no program given; write the program to run, e.g. `command = /usr/bin/python3 app.py`'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand= \\\n'), [
    at(2, '`command`: the command ends with a backslash that escapes nothing; remove it, or write `\\\\` for a literal backslash'),
  ]);
});

test('environment: quoted and bare values, commas inside quotes, single quotes, several lines', () => {
  assert.deepEqual(web('command=x\nenvironment=HOME="/var/lib/f",USER="fetchmail"\n').env, [['HOME', '/var/lib/f'], ['USER', 'fetchmail']]);
  assert.deepEqual(web('command=x\nenvironment=HOME=/var/lib/mta-sts\n').env, [['HOME', '/var/lib/mta-sts']]);
  assert.deepEqual(web(`command=x\nenvironment=A="x,y",B='p q',C="",D=1\n`).env, [['A', 'x,y'], ['B', 'p q'], ['C', ''], ['D', '1']]);
  assert.deepEqual(web('command=x\nenvironment=NODE_ENV=production-linux,PATH=/a:/b,X=1.5+2\n').env, [
    ['NODE_ENV', 'production-linux'], ['PATH', '/a:/b'], ['X', '1.5+2'],
  ]);
  const multi = web('command=x\nenvironment=A="1",\n            B="2",\n\n            C=3,\n');
  assert.deepEqual(multi.env, [['A', '1'], ['B', '2'], ['C', '3']]);
  assert.deepEqual(web('command=x\nenvironment=A=1 ; a comment\n').env, [['A', '1']]);
  assert.deepEqual(web('command=x\nenvironment=\n').env, []);
});

test('environment: what supervisord refuses is an error naming the fix; a # outside quotes warns', () => {
  const fix = 'quote values that hold blanks or characters other than letters, digits and `_/.+-():`';
  assert.deepEqual(problems('[program:web]\ncommand=x\nenvironment=A=1 B=2\n'), [
    at(3, `\`environment\`: expected \`KEY=value\` pairs separated by commas, e.g. \`A="1",B="2"\`, but after \`A=1\` comes \`= 2\`; ${fix}`),
  ]);
  const spaced = parse('[program:web]\ncommand=x\nenvironment=A=hello world B=2\n');
  assert.deepEqual(spaced.vassals[0]?.env, [['A', 'hello'], ['B', '2']], 'supervisord skips the token after each pair, whatever it is');
  assert.deepEqual(spaced.problems.map(formatProblem), [
    warnAt(3, '`environment`: `world` after `A=hello` is dropped, as supervisord drops it; quote values holding blanks (`KEY="a b"`) and separate pairs with commas'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x\nenvironment=A\n'), [
    at(3, `\`environment\`: expected \`KEY=value\` pairs separated by commas, e.g. \`A="1",B="2"\`, but at the start comes \`A\`; ${fix}`),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x\nenvironment=A="1,B=2\n'), [
    at(3, '`environment`: unterminated quote: `"1,B=2` has no closing `"`; close it'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x\nenvironment="A"=1\n'), [
    at(3, '`environment`: `"A"` is not a variable name; write `KEY=value` with an unquoted name'),
  ]);
  const r = parse('[program:web]\ncommand=x\nenvironment=PASS=ab#cd,B=2\n');
  assert.deepEqual(r.vassals[0]?.env, [['PASS', 'ab']]);
  assert.deepEqual(r.problems.map(formatProblem), [
    warnAt(3, '`environment`: a `#` outside quotes starts a comment (supervisord reads this value with shlex), so the rest of its line is dropped; quote the value to keep the `#`'),
  ]);
});

test('expansions: program_name, group_name, here, host_node_name, ENV_X, %% and number formats', () => {
  const v = web('command=/bin/%(program_name)s --in %(here)s --on %(host_node_name)s --home %(ENV_HOME)s --pct 100%% --n %(numprocs)03d\n');
  assert.deepEqual(v.command, ['/bin/web', '--in', DIR, '--on', hostname(), '--home', '/home/app', '--pct', '100%', '--n', '001']);
  assert.deepEqual(web('command=x %(ENV_SPACED)s\n').command, ['x', 'a', 'b'], 'expanded before splitting, as supervisord does');
  assert.equal(web('command=x\nstdout_logfile=/l/%(program_name)5s|%(program_name)-5s|%(program_name).1s\n').stdoutLog, '/l/  web|web  |w');
  const grouped = vassals('[group:site]\nprograms=web,api\n[program:web]\ncommand=x %(group_name)s\n[program:db]\ncommand=x %(group_name)s\n');
  assert.deepEqual(grouped.map((g) => g.command), [['x', 'site'], ['x', 'db']]);
});

test('expansions: ENV_X from [supervisord] environment and from the program\'s own environment', () => {
  const [v] = vassals('[supervisord]\nenvironment=FOO="from supervisord",HOME=/root\n[program:web]\nenvironment=BAR="%(ENV_FOO)s-x"\ncommand=echo %(ENV_BAR)s %(ENV_HOME)s\n', {});
  assert.deepEqual(v?.env, [['FOO', 'from supervisord'], ['HOME', '/root'], ['BAR', 'from supervisord-x']]);
  assert.deepEqual(v?.command, ['echo', 'from', 'supervisord-x', '/root']);
});

test('expansions: unknown names, unset variables and stray % are errors naming them', () => {
  assert.deepEqual(problems('[program:web]\ncommand=x %(ENV_NOPE)s\n'), [
    at(2, "`command`: `%(ENV_NOPE)s`: the environment variable NOPE is not set in the emperor's environment; set it where the emperor is started (e.g. its systemd unit) or in [supervisord] `environment`, or write the value itself"),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x %(programname)s\n'), [
    at(2, '`command`: unknown expansion `%(programname)s`; did you mean `%(program_name)s`? (supervisord expands `%(program_name)s`, `%(process_num)d`, `%(numprocs)d`, `%(group_name)s`, `%(here)s`, `%(host_node_name)s` and `%(ENV_NAME)s`); write `%%` for a literal `%`'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=date +%Y\nuser=%(process_num)d\n'), [
    at(2, '`command`: `%Y` is not an expansion; write `%%` for a literal `%` (supervisord expands `%(name)s`)'),
    at(3, '`user`: `%(process_num)d` can only be used in `command`, `directory`, `environment`, `process_name`, `stdout_logfile` and `stderr_logfile`, which supervisord expands for each process'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x 50%\ndirectory=%(ENV_HOME)d\n'), [
    at(2, '`command`: a lone `%` ends the value; write `%%` for a literal `%`'),
    at(3, '`directory`: `%(ENV_HOME)d` needs a number, but `ENV_HOME` is text; write `%(ENV_HOME)s`'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x %(program_name)r %(here\n'), [
    at(2, '`command`: `%(program_name)r`: emperor expands only `s` and `d` conversions; write `%(program_name)s` or `%(program_name)d`, or `%%` for a literal `%`'),
  ]);
  assert.deepEqual(problems('[supervisord]\nenvironment=A=%(program_name)s\n[program:web]\ncommand=x\n'), [
    at(1, 'warning: [supervisord] is ignored, except its `environment`, which every [program:x] here gets: emperor runs each [program:x] itself'),
    at(2, '[supervisord] `environment`: unknown expansion `%(program_name)s`; did you mean `%(program_name)s`? (supervisord expands `%(program_name)s`, `%(process_num)d`, `%(numprocs)d`, `%(group_name)s`, `%(here)s`, `%(host_node_name)s` and `%(ENV_NAME)s`); write `%%` for a literal `%`'),
  ]);
});

test('numprocs: one vassal with N instances; %(process_num)d becomes the instance mark, process_name the instance names', () => {
  const v = web('process_name=%(program_name)s_%(process_num)02d\nnumprocs=3\ncommand=worker --id %(process_num)d\nenvironment=SLOT="%(process_num)s"\nstdout_logfile=/var/log/w%(process_num)d.log\ndirectory=/srv/%(process_num)d\n');
  assert.equal(v.instances, 3);
  assert.deepEqual(v.instanceNames, ['web_00', 'web_01', 'web_02']);
  assert.deepEqual(v.command, ['worker', '--id', I]);
  assert.deepEqual(v.env, [['SLOT', I]]);
  assert.equal(v.stdoutLog, `/var/log/w${I}.log`);
  assert.equal(v.directory, `/srv/${I}`);
  assert.deepEqual(web('numprocs=1\nprocess_name=%(program_name)s-%(process_num)02d\ncommand=w %(process_num)02d\n').instanceNames, ['web-00']);
  assert.deepEqual(web('numprocs=1\ncommand=w %(process_num)02d\n').command, ['w', '00'], 'one process: written exactly');
  assert.deepEqual(web('numprocs=2\nnumprocs_start=5\nprocess_name=w%(process_num)d\ncommand=w\n').instanceNames, ['w5', 'w6']);
  assert.deepEqual(web('numprocs=2\nprocess_name=%(program_name)s_%(process_num)d\nenvironment=N=%(process_num)d\ncommand=w %(ENV_N)s\n').command, ['w', I]);
});

test('numprocs: what emperor cannot number exactly is an error, or a warning for log file names', () => {
  const name = 'process_name=%(program_name)s_%(process_num)02d\nnumprocs=8\n';
  assert.deepEqual(problems(`[program:web]\n${name}command=w --port 80%(process_num)02d\n`), [
    at(4, '`command`: `%(process_num)02d` becomes the instance number, which emperor writes as 0, 1, 2... (without padding); write `%(process_num)d`, or number the instances in the program itself'),
  ]);
  assert.deepEqual(problems(`[program:web]\n${name}numprocs_start=1\ncommand=w %(process_num)d\n`), [
    at(5, '`command`: `%(process_num)d` becomes the instance number, which emperor writes as 0, 1, 2... (from 0, not from `numprocs_start`); write `%(process_num)d` and remove `numprocs_start`, or number the instances in the program itself'),
  ]);
  const r = parse(`[program:web]\n${name}command=w\nstdout_logfile=/var/log/w_%(process_num)02d.log\n`);
  assert.equal(r.vassals[0]?.stdoutLog, `/var/log/w_${I}.log`);
  assert.deepEqual(r.problems.map(formatProblem), [
    warnAt(5, "`stdout_logfile`: `%(process_num)02d` becomes the instance number, which emperor writes as 0, 1, 2... (without padding), so the file names differ from supervisord's"),
  ]);
  assert.deepEqual(problems('[program:web]\nnumprocs=2\ncommand=w\n'), [
    at(2, '`numprocs = 2` needs `%(process_num)d` in `process_name`, so each instance gets its own name (supervisord requires it), e.g. `process_name = %(program_name)s_%(process_num)02d`'),
  ]);
  assert.deepEqual(problems('[program:web]\nprocess_name=a b\ncommand=w\n'), [
    at(2, '`process_name`: `a b` may not hold blanks, `:` or `/`, which supervisord refuses in a name'),
  ]);
});

test('logs: redirect_stderr, one shared path, AUTO, NONE and syslog', () => {
  const together = web('command=x\nredirect_stderr=true\nstdout_logfile=/var/log/app.log\n');
  assert.deepEqual([together.log, together.stdoutLog, together.stderrLog, together.lines['log']], ['/var/log/app.log', null, null, 4]);
  const same = web('command=x\nstdout_logfile=/var/log/%(program_name)s.log\nstderr_logfile=/var/log/web.log\n');
  assert.deepEqual([same.log, same.stdoutLog, same.stderrLog], ['/var/log/web.log', null, null]);
  const none = web('command=x\nstdout_logfile=NONE\nstderr_logfile=off\n');
  assert.deepEqual([none.log, none.stdoutLog, none.stderrLog], ['/dev/null', null, null]);
  const split = web('command=x\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nstderr_logfile=none\n');
  assert.deepEqual([split.log, split.stdoutLog, split.stderrLog], [null, '/dev/stdout', '/dev/null']);
  assert.equal(web('command=x\nredirect_stderr=true\n').log, null);

  const r = parse('[program:web]\ncommand=x\nstdout_logfile=AUTO\nstderr_logfile=syslog\n');
  assert.deepEqual([r.vassals[0]?.stdoutLog, r.vassals[0]?.stderrLog], [null, null]);
  assert.deepEqual(r.problems.map(formatProblem), [
    warnAt(3, "`stdout_logfile = AUTO`: emperor does not create AUTO log files; the output goes to the emperor's output instead (write a path to keep it in a file)"),
    warnAt(4, "`stderr_logfile = syslog`: emperor does not write to syslog; the output goes to the emperor's output instead (the journal, under systemd)"),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x\nredirect_stderr=true\nstdout_logfile=/a\nstderr_logfile=/b\n'), [
    warnAt(5, '`stderr_logfile` is ignored: `redirect_stderr = true` sends stderr to `stdout_logfile`, as in supervisord'),
  ]);
});

const MB = 1024 * 1024;
const rotation = (v: VassalSpec): [number, number, number | undefined, number | undefined] =>
  [v.logMaxSize, v.logBackups, v.lines['logMaxSize'], v.lines['logBackups']];

test('logs: rotation keys become log-max-size and log-backups, at supervisord\'s defaults (50MB, 10) when not written', () => {
  const body = 'command=x\nstdout_logfile=/var/log/a.log\nstdout_logfile_maxbytes=1MB\nstdout_logfile_backups=4\nstderr_logfile=/dev/stderr\nstderr_logfile_maxbytes=0\nstderr_logfile_backups=3\n';
  assert.deepEqual(problems(`[program:web]\n${body}`), []);
  assert.deepEqual(rotation(web(body)), [MB, 4, 4, 5]);
  assert.deepEqual(rotation(web('command=x\nstdout_logfile=/var/log/a.log\n')), [50 * MB, 10, undefined, undefined]);
  assert.deepEqual(rotation(web('command=x\nstdout_logfile=/var/log/a.log\nstdout_logfile_maxbytes=0\nstdout_logfile_backups=0\n')), [0, 0, 4, 5]);
  assert.deepEqual(rotation(web('command=x\nstdout_logfile=/var/log/a.log\nstdout_logfile_maxbytes=512KB\nstdout_logfile_backups=1000\n')), [512 * 1024, 1000, 4, 5]);
  // supervisord rotates only with a positive maxbytes and keeps backups only above 0
  assert.deepEqual(rotation(web('command=x\nstdout_logfile=/var/log/a.log\nstdout_logfile_maxbytes=-1\nstdout_logfile_backups=-5\n')), [0, 0, 4, 5]);
  assert.deepEqual(problems('[program:web]\ncommand=x\nstdout_logfile_maxbytes=50M\n'), [
    at(3, "`stdout_logfile_maxbytes`: expected a size such as `50MB`, `512KB` or `1GB` (supervisord's units; a bare number is bytes), got `50M`"),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x\nstderr_logfile_backups=many\n'), [
    at(3, '`stderr_logfile_backups`: expected a whole number from -1000000 to 1000000, got `many`'),
  ]);
});

test('logs: rotation follows the streams written to files, not the emperor\'s output or devices', () => {
  // stdout goes to the emperor's output: stderr's file decides
  assert.deepEqual(rotation(web('command=x\nstdout_logfile_maxbytes=0\nstderr_logfile=/var/log/e.log\nstderr_logfile_maxbytes=1KB\n')), [1024, 10, 5, undefined]);
  // the docker idiom: /dev/stdout with maxbytes=0 beside a real stderr file keeps the file's rotation
  const docker = 'command=x\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nstderr_logfile=/var/log/e.log\n';
  assert.deepEqual(problems(`[program:web]\n${docker}`), []);
  assert.deepEqual(rotation(web(docker)), [50 * MB, 10, undefined, undefined]);
  // redirect_stderr: the stderr_logfile_* keys mean nothing, as in supervisord
  const redirected = 'command=x\nredirect_stderr=true\nstdout_logfile=/var/log/a.log\nstdout_logfile_maxbytes=2MB\nstderr_logfile_maxbytes=1KB\nstderr_logfile_backups=1\n';
  assert.deepEqual(problems(`[program:web]\n${redirected}`), []);
  assert.deepEqual(rotation(web(redirected)), [2 * MB, 10, 5, undefined]);
  // only devices: their keys as written (stdout's first), silently, so `maxbytes=0` stays 0
  const devices = 'command=x\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nstderr_logfile=/dev/stderr\nstderr_logfile_maxbytes=1KB\n';
  assert.deepEqual(problems(`[program:web]\n${devices}`), []);
  assert.deepEqual(rotation(web(devices)), [0, 10, 4, undefined]);
  assert.deepEqual(rotation(web('command=x\nstdout_logfile=NONE\nstderr_logfile_maxbytes=0\n')), [50 * MB, 10, undefined, undefined]);
  // nothing written anywhere but the emperor's output: supervisord's defaults, silently
  const none = 'command=x\nstdout_logfile_maxbytes=1KB\nstderr_logfile=AUTO\nstderr_logfile_backups=0\n';
  assert.deepEqual(rotation(web(none)), [50 * MB, 10, undefined, undefined]);
});

test('logs: two log files with different rotation keys take stdout\'s values, with a warning', () => {
  const body = 'command=x\nstdout_logfile=/var/log/a.out\nstdout_logfile_maxbytes=1MB\nstderr_logfile=/var/log/a.err\nstderr_logfile_maxbytes=2048\nstderr_logfile_backups=3\n';
  const alike = "emperor rotates both log files of a vassal alike, so stdout's value applies to both";
  assert.deepEqual(problems(`[program:web]\n${body}`), [
    warnAt(6, `\`stderr_logfile_maxbytes\` (\`2KB\`) differs from \`stdout_logfile_maxbytes\` (\`1MB\`): ${alike}`),
    warnAt(7, `\`stderr_logfile_backups\` (\`3\`) differs from \`stdout_logfile_backups\` (\`10\`, supervisord's default): ${alike}`),
  ]);
  assert.deepEqual(rotation(web(body)), [MB, 10, 4, undefined]);
  // one shared file (one `log`): stdout's too
  const shared = 'command=x\nstdout_logfile=/var/log/a.log\nstderr_logfile=/var/log/a.log\nstderr_logfile_maxbytes=1000\n';
  assert.deepEqual(problems(`[program:web]\n${shared}`), [
    warnAt(5, `\`stderr_logfile_maxbytes\` (\`1000\`) differs from \`stdout_logfile_maxbytes\` (\`50MB\`, supervisord's default): ${alike}`),
  ]);
  assert.deepEqual(rotation(web(shared)), [50 * MB, 10, undefined, undefined]);
  // only stdout's written: the warning is at stdout's line
  assert.deepEqual(problems('[program:web]\ncommand=x\nstdout_logfile=/a\nstdout_logfile_backups=0\nstderr_logfile=/b\n'), [
    warnAt(4, `\`stderr_logfile_backups\` (\`10\`, supervisord's default) differs from \`stdout_logfile_backups\` (\`0\`): ${alike}`),
  ]);
  // equal meanings (-1 and 0) are no conflict; without rotation, backups are not compared
  const unrotated = 'command=x\nstdout_logfile=/a\nstdout_logfile_backups=0\nstderr_logfile=/b\nstdout_logfile_maxbytes=-1\nstderr_logfile_maxbytes=0\nstderr_logfile_backups=5000\n';
  assert.deepEqual(problems(`[program:web]\n${unrotated}`), []);
  assert.deepEqual(rotation(web(unrotated)), [0, 0, 6, 4]);
  const same = 'command=x\nstdout_logfile=/a\nstderr_logfile=/b\nstdout_logfile_maxbytes=1GB\nstderr_logfile_maxbytes=1024MB\nstdout_logfile_backups=2\nstderr_logfile_backups=2\n';
  assert.deepEqual(problems(`[program:web]\n${same}`), []);
  assert.deepEqual(rotation(web(same)), [1024 * MB, 2, 5, 7]);
});

test('logs: more than 1000 backups are kept as 1000, with a warning', () => {
  const body = 'command=x\nstdout_logfile=/var/log/a.log\nstdout_logfile_backups=5000\n';
  assert.deepEqual(problems(`[program:web]\n${body}`), [
    warnAt(4, '`stdout_logfile_backups = 5000`: emperor keeps at most 1000 backups of a log file; 1000 are kept'),
  ]);
  assert.equal(web(body).logBackups, 1000);
});

test('supervisord keys with no equivalent are warnings, priority suggests depends, stopasgroup=false says why', () => {
  assert.deepEqual(
    problems('[program:web]\ncommand=x\npriority=10\nstdout_capture_maxbytes=1MB\nstdout_events_enabled=true\nstderr_syslog=false\nserverurl=AUTO\nstopasgroup=false\nkillasgroup=false\n'),
    [
      warnAt(3, '`priority` has no equivalent in emperor; ignored: vassals start side by side, not in priority order (a native [vassal] file can wait for others with `depends`)'),
      warnAt(4, '`stdout_capture_maxbytes` has no equivalent in emperor; ignored'),
      warnAt(6, '`stderr_syslog` has no equivalent in emperor; ignored'),
      warnAt(7, '`serverurl` has no equivalent in emperor; ignored'),
      warnAt(8, "`stopasgroup = false`: emperor always signals the whole process group, so the program's children get the signal too; ignored"),
      warnAt(9, "`killasgroup = false`: emperor always signals the whole process group, so the program's children get the signal too; ignored"),
    ],
  );
  assert.deepEqual(problems('[program:web]\ncommand=x\nstopasgroup=true\nkillasgroup=true\n'), []);
  assert.deepEqual(problems('[program:web]\ncommand=x\npriority=high\n'), [at(3, '`priority`: expected a whole number, got `high`')]);
});

test('a key supervisord does not know is an error with the closest key suggested', () => {
  assert.deepEqual(problems('[program:web]\ncommand=x\nautorestrat=true\nenv=A=1\nexit-codes=0\nfrobnicate=1\n'), [
    at(3, 'unknown key `autorestrat` in [program:web]; did you mean `autorestart`?'),
    at(4, 'unknown key `env` in [program:web]; did you mean `environment`?'),
    at(5, 'unknown key `exit-codes` in [program:web]; did you mean `exitcodes`?'),
    at(6, 'unknown key `frobnicate` in [program:web]: supervisord has no such key; remove it or correct its name'),
  ]);
});

test('the other supervisord sections are warnings, one per section; anything else is an error', () => {
  const text = [
    '[supervisord]', 'nodaemon=true', '[supervisorctl]', 'serverurl=unix:///tmp/s.sock', '[unix_http_server]', 'file=/tmp/s.sock',
    '[inet_http_server]', 'port=9001', '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = x:y', '[include]', 'files=conf.d/*.conf',
    '[group:g]', 'programs=web', '[eventlistener:l]', 'command=l', 'events=PROCESS_STATE', '[ctlplugin:p]', 'supervisor.ctl_factory = a:b',
    '[program:web]', 'command=x', '[supervisord]', 'logfile=/x',
  ].join('\n');
  assert.deepEqual(problems(text), [
    warnAt(1, '[supervisord] is ignored: emperor runs each [program:x] itself'),
    warnAt(3, '[supervisorctl] is ignored: emperorctl controls the vassals'),
    warnAt(5, '[unix_http_server] is ignored: emperor has its own stats and control sockets'),
    warnAt(7, '[inet_http_server] is ignored: emperor has its own stats and control sockets'),
    warnAt(9, '[rpcinterface:supervisor] is ignored: emperor has its own control socket (emperorctl)'),
    warnAt(11, '[include] is ignored: emperor reads only the files in its vassal directory; put the included files there'),
    warnAt(13, '[group:g] is ignored: emperor runs each [program:x] as a vassal of its own'),
    warnAt(18, '[ctlplugin:p] is ignored: emperorctl has no plugins'),
  ]);
  assert.deepEqual(problems('[program:web]\ncommand=x\n[fcgi-program:php]\ncommand=php\n[progam:api]\ncommand=y\n[vassal_x]\n'), [
    at(3, '`[fcgi-program:php]` is not supported: emperor does not run FastCGI programs; run it as a [program:x] that opens its own socket'),
    at(5, 'section `[progam:api]` has no meaning in a supervisord file; did you mean [program:api]?'),
    at(7, 'section `[vassal_x]` has no meaning in a supervisord file; remove it, or make it a [program:NAME]'),
  ]);
});

test('each [program:NAME] is a vassal named NAME, which must be a valid vassal name', () => {
  assert.deepEqual(vassals('[program:web]\ncommand=a\n[program:api-2.x@1]\ncommand=b\n').map((v) => v.name), ['web', 'api-2.x@1']);
  assert.deepEqual(problems('[program:my app]\ncommand=a\n[program:]\ncommand=b\n'), [
    at(1, 'the vassal name `my app` comes from [program:my app] and may only hold letters, digits, `_`, `.`, `@` and `-`; rename the program'),
    at(3, '`[program:]` has no name; write `[program:NAME]`, NAME being the vassal name'),
  ]);
  assert.equal(parse('[program:web]\ncommand=a\n[program:bad]\nstartsecs=x\ncommand=b\n').vassals.length, 0, 'one bad program makes the file INVALID');
});

test('a repeated section or key is merged with a warning; later values win', () => {
  const r = parse('[program:web]\ncommand=a\ndirectory=/one\ndirectory=/two\n[program:api]\ncommand=c\n[program:web]\ncommand=b\nuser=www\n');
  assert.deepEqual(r.problems.map(formatProblem), [
    warnAt(4, '`directory` is set again (first on line 3); the later value wins, as in supervisord'),
    warnAt(7, '[program:web] is repeated (first on line 1); its keys are merged, later values winning, as in supervisord'),
  ]);
  assert.deepEqual(r.vassals.map((v) => [v.name, v.command, v.directory, v.user]), [
    ['web', ['b'], '/two', 'www'],
    ['api', ['c'], DIR, null],
  ]);
});

test('read as configparser reads it: keys in any case, `key: value`, comments, continuation lines', () => {
  const v = web('Command: /bin/app ; a comment\nDIRECTORY = /srv # another\n# full line\n; full line\nuser=a;b\nenvironment=A=x#y\n  ,B=2\n');
  assert.deepEqual(v.command, ['/bin/app']);
  assert.equal(v.directory, '/srv');
  assert.equal(v.user, 'a;b');
  assert.deepEqual(problems('[program:web]\ncommand=x\njust some words\n'), [at(3, 'expected `key = value` or `[section]`, got `just some words`')]);
  assert.deepEqual(web('command=x\n[DEFAULT]\nstartsecs=7\nautostart=false\n').startSecs, 7000);
  const [a, b] = vassals('[DEFAULT]\nautostart=false\n[program:a]\ncommand=x\n[program:b]\ncommand=y\nautostart=true\n');
  assert.deepEqual([a?.autostart, b?.autostart], [false, true]);
  assert.deepEqual(problems('[DEFAULT]\npriority=1\n[program:a]\ncommand=x\n[program:b]\ncommand=y\n'), [
    warnAt(2, '`priority` has no equivalent in emperor; ignored: vassals start side by side, not in priority order (a native [vassal] file can wait for others with `depends`)'),
  ]);
});

const CORPUS = resolve(import.meta.dirname, '../..', '../shared/corpus/supervisord');
/** The `%(ENV_X)s` the corpus files use, set as their deployments set them. */
const CORPUS_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  NUM_WORKERS_DEFAULT: '5',
  NUM_WORKERS_PRIO: '5',
  NUM_WORKERS_EMAIL: '5',
  NUM_WORKERS_UPDATE: '1',
  NUM_WORKERS_CACHE: '5',
  POSTGREY_DELAY: '300',
  POSTGREY_MAX_AGE: '35',
  POSTGREY_AUTO_WHITELIST_CLIENTS: '5',
  POSTGREY_TEXT: 'Delayed by Postgrey',
  FETCHMAIL_POLL: '300',
  API_PORT: '8000',
};

test('every real supervisord file of the corpus parses with no error', () => {
  assert.ok(existsSync(CORPUS), `the corpus is missing: expected the real supervisord files in ${CORPUS}`);
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.conf')).sort();
  assert.ok(files.length >= 16, `expected at least 16 files in ${CORPUS}, found ${files.length}`);
  const counts: Record<string, number> = {};
  for (const f of files) {
    const path = join(CORPUS, f);
    const r = parseVassalFile(path, readFileSync(path, 'utf8'), CORPUS_ENV);
    assert.deepEqual(r.problems.filter((p) => !p.warning).map(formatProblem), [], f);
    assert.equal(r.dialect, 'supervisord', f);
    assert.ok(r.vassals.length >= 1, f);
    counts[f] = r.vassals.length;
    // Without the variables, the only errors are the unset ones, each named.
    const bare = parseVassalFile(path, readFileSync(path, 'utf8'), {});
    for (const p of bare.problems.filter((q) => !q.warning)) assert.match(p.message, /the environment variable [A-Z_]+ is not set/, `${f}: ${p.message}`);
  }
  assert.equal(counts['06-docker-mailserver.conf'], 20);
  assert.equal(counts['10-misp-docker.conf'], 6);
  const laradock = parseVassalFile(join(CORPUS, '15-laradock.conf'), readFileSync(join(CORPUS, '15-laradock.conf'), 'utf8'), {}).vassals[0];
  assert.deepEqual([laradock?.instances, laradock?.instanceNames[7], laradock?.user], [8, 'laravel-worker_07', '1000']);
  const onlyoffice = parseVassalFile(join(CORPUS, '16-onlyoffice.conf'), readFileSync(join(CORPUS, '16-onlyoffice.conf'), 'utf8'), {}).vassals[0];
  assert.deepEqual(onlyoffice?.env.map(([k]) => k), ['NODE_ENV', 'NODE_CONFIG_DIR', 'NODE_DISABLE_COLORS'], 'CRLF line ends');
});
