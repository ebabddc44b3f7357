import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, parseVassalFile } from '../../src/config/parse-file.ts';
import { INSTANCE_MARK, SUPERVISION_KEYS } from '../../src/config/spec.ts';
import type { VassalSpec } from '../../src/config/spec.ts';

const DIR = '/etc/emperor/vassals';
const FILE = `${DIR}/web.ini`;
const ENV = { HOME: '/home/app', PORT: '8080', SPACED: 'a b' };

/** The one vassal of a valid file. */
const vassal = (body: string, env: Record<string, string | undefined> = ENV): VassalSpec => {
  const r = parseVassalFile(FILE, `[vassal]\n${body}`, env);
  assert.deepEqual(r.problems.map(formatProblem), []);
  assert.equal(r.dialect, 'vassal');
  assert.equal(r.vassals.length, 1);
  return r.vassals[0] as VassalSpec;
};
/** Every problem of a file, formatted; the file must give no vassal when one is an error. */
const problems = (body: string, env: Record<string, string | undefined> = ENV): string[] => {
  const r = parseVassalFile(FILE, `[vassal]\n${body}`, env);
  if (r.problems.some((p) => !p.warning)) assert.deepEqual(r.vassals, []);
  return r.problems.map(formatProblem);
};
const at = (line: number, message: string): string => `${FILE}:${line}: ${message}`;
const NO_COMMAND =
  'no `command` key: every [vassal] needs the program to run, e.g. `command = /usr/bin/python3 app.py`, or `smart-attach-daemon = PIDFILE COMMAND...` for a program that daemonizes itself';

test('a minimal file gets every default of SPEC section 3', () => {
  assert.deepEqual(vassal('command = /usr/bin/python3 app.py\n'), {
    name: 'web',
    file: FILE,
    dialect: 'vassal',
    command: ['/usr/bin/python3', 'app.py'],
    directory: DIR,
    env: [],
    user: null,
    group: null,
    umask: null,
    autostart: true,
    instances: 1,
    restart: 'always',
    exitCodes: [0],
    startSecs: 1000,
    startRetries: 0,
    backoff: 1000,
    backoffMax: 60_000,
    stopSignal: 'SIGTERM',
    stopTimeout: 10_000,
    reloadSignal: null,
    log: null,
    stdoutLog: null,
    stderrLog: null,
    logMaxSize: 52_428_800,
    logBackups: 5,
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
    instanceNames: [],
    lines: { command: 2 },
  });
});

test('every supported key is read, coerced and located', () => {
  const spec = vassal(
    [
      'command = "%d/bin/server" --port $(PORT) --id %i',
      'directory = data/%n',
      'env = PORT=$(PORT)',
      'env = INSTANCE_DIR = /tmp/%n-%i',
      'env = EMPTY=',
      'user = www-data',
      'group = 33',
      'umask = 027',
      'autostart = no',
      'instances = 4',
      'restart = on-failure',
      'exit-codes = 0, 2',
      'start-secs = 250ms',
      'start-retries = 3',
      'backoff = 2s',
      'backoff-max = 5m',
      'stop-signal = INT',
      'stop-timeout = 1m',
      'reload-signal = hup',
      'stdout-log = %n.out',
      'stderr-log = /var/log/%n-%i.err',
      'depends = db, cache',
      'depends = queue cache',
      'health-check = http://127.0.0.1:$(PORT)/health/%i',
      'health-interval = 30s',
      'health-timeout = 500ms',
      'health-retries = 5',
      'max-rss = 512M',
      'log-max-size = 10M',
      'log-backups = 3',
    ].join('\n'),
  );
  assert.deepEqual(spec.command, [`${DIR}/bin/server`, '--port', '8080', '--id', INSTANCE_MARK]);
  assert.equal(spec.directory, `${DIR}/data/web`);
  assert.deepEqual(spec.env, [
    ['PORT', '8080'],
    ['INSTANCE_DIR', `/tmp/web-${INSTANCE_MARK}`],
    ['EMPTY', ''],
  ]);
  assert.equal(spec.user, 'www-data');
  assert.equal(spec.group, '33');
  assert.equal(spec.umask, 0o27);
  assert.equal(spec.autostart, false);
  assert.equal(spec.instances, 4);
  assert.equal(spec.restart, 'on-failure');
  assert.deepEqual(spec.exitCodes, [0, 2]);
  assert.equal(spec.startSecs, 250);
  assert.equal(spec.startRetries, 3);
  assert.equal(spec.backoff, 2000);
  assert.equal(spec.backoffMax, 300_000);
  assert.equal(spec.stopSignal, 'SIGINT');
  assert.equal(spec.stopTimeout, 60_000);
  assert.equal(spec.reloadSignal, 'SIGHUP');
  assert.equal(spec.log, null);
  assert.equal(spec.stdoutLog, 'web.out');
  assert.equal(spec.stderrLog, `/var/log/web-${INSTANCE_MARK}.err`);
  assert.deepEqual(spec.depends, ['db', 'cache', 'queue']);
  assert.equal(spec.healthCheck, `http://127.0.0.1:8080/health/${INSTANCE_MARK}`);
  assert.equal(spec.healthInterval, 30_000);
  assert.equal(spec.healthTimeout, 500);
  assert.equal(spec.healthRetries, 5);
  assert.equal(spec.maxRss, 512 * 1024 * 1024);
  assert.equal(spec.logMaxSize, 10 * 1024 * 1024);
  assert.equal(spec.logBackups, 3);
  assert.deepEqual(spec.lines, {
    command: 2,
    directory: 3,
    env: 4,
    user: 7,
    group: 8,
    umask: 9,
    autostart: 10,
    instances: 11,
    restart: 12,
    exitCodes: 13,
    startSecs: 14,
    startRetries: 15,
    backoff: 16,
    backoffMax: 17,
    stopSignal: 18,
    stopTimeout: 19,
    reloadSignal: 20,
    stdoutLog: 21,
    stderrLog: 22,
    depends: 23,
    healthCheck: 25,
    healthInterval: 26,
    healthTimeout: 27,
    healthRetries: 28,
    maxRss: 29,
    logMaxSize: 30,
    logBackups: 31,
  });
});

test('command words are split before magic, so an expanded value with spaces stays one word', () => {
  assert.deepEqual(vassal('command = echo $(SPACED) \'%%i\' "a b"\n').command, ['echo', 'a b', '%i', 'a b']);
  assert.deepEqual(vassal('command = /bin/app\n    --verbose ; continued\n').command, ['/bin/app', '--verbose']);
  assert.deepEqual(vassal("command = sh -c 'echo $( date ) #1'\n").command, ['sh', '-c', 'echo $( date ) #1']);
});

test('directory: absolute kept (normalised), relative resolved against the file directory', () => {
  assert.equal(vassal('command = x\ndirectory = /srv/app/\n').directory, '/srv/app');
  assert.equal(vassal('command = x\ndirectory = ../shared\n').directory, '/etc/emperor/shared');
  assert.equal(vassal('command = x\ndirectory = %d\n').directory, DIR);
  assert.equal(vassal('command = x\ndirectory = $(HOME)/app-%i\n').directory, `/home/app/app-${INSTANCE_MARK}`);
});

test('log and the stream logs are kept as written after magic, relative paths included', () => {
  assert.equal(vassal('command = x\nlog = %n.log\n').log, 'web.log');
  assert.equal(vassal('command = x\nlog = /var/log/%n/%i.log\n').log, `/var/log/web/${INSTANCE_MARK}.log`);
  assert.equal(vassal('command = x\nstdout-log = out.log\n').stderrLog, null);
});

test('a missing command is reported at the [vassal] line', () => {
  assert.deepEqual(problems('user = www\n'), [
    at(1, NO_COMMAND),
  ]);
});

test('an empty or unsplittable command is reported at its line', () => {
  assert.deepEqual(problems('command =\n'), [
    at(2, '`command`: no program given; write the program to run, e.g. `command = /usr/bin/python3 app.py`'),
  ]);
  assert.deepEqual(problems("command = echo 'oops\n"), [
    at(2, "`command`: unterminated single quote: `'oops` has no closing `'`; close it, or escape it as `\\'`"),
  ]);
  assert.deepEqual(problems('command = echo \\\n'), [
    at(2, '`command`: the command ends with a backslash that escapes nothing; remove it, or write `\\\\` for a literal backslash'),
  ]);
  assert.deepEqual(problems('command = echo 100%\n'), [
    at(2, '`command`: a lone `%` ends the value; write `%%` for a percent sign (the magic variables are `%d` `%n` `%p` `%s` `%i`)'),
  ]);
});

test('unknown keys suggest the closest known key, or point to the README', () => {
  assert.deepEqual(problems('comand = x\n'), [
    at(1, NO_COMMAND),
    at(2, 'unknown key `comand`; did you mean `command`?'),
  ]);
  assert.deepEqual(problems('command = x\nstopsignal = INT\nstart_secs = 1\nStop-Timeout = 1s\nbackof = 1s\n'), [
    at(3, 'unknown key `stopsignal`; did you mean `stop-signal`?'),
    at(4, 'unknown key `start_secs`; did you mean `start-secs`?'),
    at(5, 'unknown key `Stop-Timeout`; did you mean `stop-timeout`?'),
    at(6, 'unknown key `backof`; did you mean `backoff`?'),
  ]);
  assert.deepEqual(problems('command = x\nenvironment = A=1\nautorestart = true\nnumprocs = 2\n'), [
    at(3, 'unknown key `environment`; did you mean `env`?'),
    at(4, 'unknown key `autorestart`; did you mean `restart`?'),
    at(5, 'unknown key `numprocs`; did you mean `instances`?'),
  ]);
  assert.deepEqual(problems('command = x\nfrobnicate = 1\n'), [
    at(3, 'unknown key `frobnicate`; see the vassal file reference in README.md'),
  ]);
});

test('socket: tcp://HOST:PORT or unix:PATH, checked and located', () => {
  assert.deepEqual(vassal('command = x\nsocket = tcp://127.0.0.1:8080\n').socket, { kind: 'tcp', host: '127.0.0.1', port: 8080 });
  assert.deepEqual(vassal('command = x\nsocket = tcp://[::1]:80\n').socket, { kind: 'tcp', host: '::1', port: 80 });
  assert.deepEqual(vassal('command = x\nsocket = unix:/run/app.sock\n').socket, { kind: 'unix', path: '/run/app.sock' });
  assert.equal(vassal('command = x\n').socket, null);
  assert.deepEqual(problems('command = x\nsocket = localhost:80\n'), [
    at(3, '`socket`: expected `tcp://HOST:PORT` or `unix:PATH`, e.g. `tcp://127.0.0.1:8080`, `tcp://[::1]:8080` or `unix:/run/app.sock`, got `localhost:80`'),
  ]);
  assert.deepEqual(problems('command = x\nsocket = tcp://localhost:80\n'), [
    at(3, '`socket`: `localhost` is not an IP address: the emperor binds at once, without a name lookup; write e.g. `tcp://127.0.0.1:80`'),
  ]);
  assert.deepEqual(problems('command = x\nsocket = tcp://127.0.0.1:70000\n'), [at(3, '`socket`: port 70000 is out of range: a port goes from 1 to 65535')]);
  assert.deepEqual(problems('command = x\nsocket = unix:app.sock\n'), [
    at(3, '`socket`: `app.sock` is not an absolute path; write `unix:/ABSOLUTE/PATH` (`%d` is the file\'s directory)'),
  ]);
  assert.deepEqual(problems('smart-attach-daemon = /run/d.pid d\nsocket = tcp://127.0.0.1:80\n'), [
    at(3, '`socket` cannot be combined with `smart-attach-daemon` (line 2): a daemon outlives the emperor, which holds the socket; let the daemon open its own socket, or run it in the foreground with `command`'),
  ]);
  assert.deepEqual(problems('command = x\nlistenstream = 80\n'), [at(3, 'unknown key `listenstream`; did you mean `socket`?')]);
});

test('a key given twice is reported on the second line; env and depends repeat freely', () => {
  assert.deepEqual(problems('command = x\nuser = a\ncommand = y\nuser = b\n'), [
    at(4, '`command` is already set on line 2'),
    at(5, '`user` is already set on line 3'),
  ]);
  assert.deepEqual(vassal('command = x\nenv = A=1\nenv = A=2\n').env, [
    ['A', '1'],
    ['A', '2'],
  ]);
});

test('bad values name the key, the expected form and what was written', () => {
  const lines = [
    'command = x',
    'autostart = maybe',
    'instances = 0',
    'restart = sometimes',
    'exit-codes = 0, 300',
    'start-secs = soon',
    'start-retries = -1',
    'backoff = 1d',
    'backoff-max = 1x',
    'stop-signal = FOO',
    'stop-timeout = forever',
    'reload-signal = 99',
    'umask = 0999',
    'user = two words',
    'group = a:b',
    'instances = 1',
  ];
  assert.deepEqual(problems(`${lines.join('\n')}\n`), [
    at(3, '`autostart`: expected `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`), got `maybe`'),
    at(4, '`instances`: expected a whole number from 1 to 1000, got `0`'),
    at(5, '`restart`: expected `always`, `on-failure` or `never`, got `sometimes`'),
    at(6, '`exit-codes`: expected exit codes from 0 to 255 separated by commas, e.g. `0, 2`, got `300`'),
    at(7, '`start-secs`: expected a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds), got `soon`'),
    at(8, '`start-retries`: expected a whole number from 0 to 1000000, got `-1`'),
    at(9, '`backoff`: expected a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds), got `1d`'),
    at(10, '`backoff-max`: expected a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds), got `1x`'),
    at(11, '`stop-signal`: expected a signal such as `TERM`, `INT`, `HUP`, `QUIT` or `USR1` (also `SIGTERM`, or a number like `15`), got `FOO`'),
    at(12, '`stop-timeout`: expected a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds), got `forever`'),
    at(13, '`reload-signal`: expected a signal such as `TERM`, `INT`, `HUP`, `QUIT` or `USR1` (also `SIGTERM`, or a number like `15`), got `99`'),
    at(14, '`umask`: expected an octal umask such as `022` or `0o027`, got `0999`'),
    at(15, '`user`: expected one user or group name or number, got `two words`'),
    at(16, '`group`: expected one user or group name or number, got `a:b`'),
    at(17, '`instances` is already set on line 4'),
  ]);
});

test('instances accepts 1..1000', () => {
  assert.equal(vassal('command = x\ninstances = 1000\n').instances, 1000);
  assert.deepEqual(problems('command = x\ninstances = 1001\n'), [
    at(3, '`instances`: expected a whole number from 1 to 1000, got `1001`'),
  ]);
});

test('an empty value is an error, except the value of an env pair', () => {
  assert.deepEqual(problems('command = x\nuser =\nstart-secs = ; just a comment\n'), [
    at(3, '`user` is empty; give it a value or remove the line'),
    at(4, '`start-secs` is empty; give it a value or remove the line'),
  ]);
});

test('env must be KEY=VALUE with a valid name', () => {
  assert.deepEqual(problems('command = x\nenv = JUSTNAME\nenv = 1X=2\nenv = =v\nenv = A-B=1\nenv =\n'), [
    at(3, '`env`: expected `KEY=VALUE`, e.g. `env = PORT=8080`, got `JUSTNAME`'),
    at(4, '`env`: `1X` is not a valid variable name: use letters, digits and `_`, not starting with a digit (`KEY=VALUE`)'),
    at(5, '`env`: `` is not a valid variable name: use letters, digits and `_`, not starting with a digit (`KEY=VALUE`)'),
    at(6, '`env`: `A-B` is not a valid variable name: use letters, digits and `_`, not starting with a digit (`KEY=VALUE`)'),
    at(7, '`env`: expected `KEY=VALUE`, e.g. `env = PORT=8080`, got ``'),
  ]);
  assert.deepEqual(vassal('command = x\nenv = Q="quoted value" # kept\n').env, [['Q', '"quoted value" # kept']]);
});

test('depends: valid names only, never the vassal itself', () => {
  assert.deepEqual(problems('command = x\ndepends = db, bad/name\ndepends = cache web\ndepends = ,\n'), [
    at(3, '`depends`: `bad/name` is not a vassal name: a name is its file name without .ini/.conf, made of letters, digits, `_`, `.`, `@` and `-`'),
    at(4, '`depends`: `web` is this vassal itself; a vassal cannot wait for itself, so remove it'),
    at(5, '`depends`: expected vassal names separated by commas, e.g. `db, cache`'),
  ]);
  assert.deepEqual(vassal('command = x\ndepends = app@1, my.db,queue_2\n').depends, ['app@1', 'my.db', 'queue_2']);
});

test('%i is only allowed in templated keys', () => {
  assert.deepEqual(problems('command = x\nuser = app%i\ndepends = db%i\nmax-rss = %iM\n'), [
    at(3, '`user`: `%i` (the instance index) can only be used in `command`, `directory`, `env`, `log`, `stdout-log`, `stderr-log` and `health-check`; write `%%i` for the literal text'),
    at(4, '`depends`: `%i` (the instance index) can only be used in `command`, `directory`, `env`, `log`, `stdout-log`, `stderr-log` and `health-check`; write `%%i` for the literal text'),
    at(5, '`max-rss`: `%i` (the instance index) can only be used in `command`, `directory`, `env`, `log`, `stdout-log`, `stderr-log` and `health-check`; write `%%i` for the literal text'),
  ]);
});

test('magic errors in values: unset $(VAR) and unknown %x', () => {
  const unset = "`$(NOPE)`: the environment variable NOPE is not set in the emperor's environment; set it where the emperor is started (e.g. its systemd unit) or write the value itself";
  assert.deepEqual(problems('command = run $(NOPE)\ndirectory = $(NOPE)\nenv = A=$(NOPE)\nlog = %x.log\n'), [
    at(2, `\`command\`: ${unset}`),
    at(3, `\`directory\`: ${unset}`),
    at(4, `\`env\`: ${unset}`),
    at(5, '`log`: unknown magic variable `%x`; write `%%` for a literal percent sign (the magic variables are `%d` `%n` `%p` `%s` `%i`)'),
  ]);
});

test('log cannot be combined with stdout-log or stderr-log', () => {
  const both = 'which already takes both streams; use either `log` or `stdout-log`/`stderr-log`';
  assert.deepEqual(problems('command = x\nlog = all.log\nstdout-log = out.log\nstderr-log = err.log\n'), [
    at(4, `\`stdout-log\` cannot be combined with \`log\` (line 3), ${both}`),
    at(5, `\`stderr-log\` cannot be combined with \`log\` (line 3), ${both}`),
  ]);
});

test('a backoff longer than backoff-max is a warning only', () => {
  const r = parseVassalFile(FILE, '[vassal]\ncommand = x\nbackoff = 2m\n', ENV);
  assert.deepEqual(r.problems.map(formatProblem), [
    at(3, 'warning: `backoff` is longer than `backoff-max` (60000 ms), so every retry waits `backoff-max`'),
  ]);
  assert.equal(r.vassals.length, 1);
});

test('other sections and a repeated [vassal] are errors', () => {
  assert.deepEqual(problems('command = x\n[extra]\nk = v\n[vassal]\nuser = www\n'), [
    at(3, 'section `[extra]` has no meaning in a native vassal file; remove it or move its keys into [vassal]'),
    at(5, '[vassal] is repeated (first on line 1); put all keys in one [vassal] section'),
  ]);
});

test('an indented key under another key is caught: it would silently continue that value', () => {
  assert.deepEqual(problems('command = /srv/app --port 80\n  directory = /srv/app\n  --flag=1\n    socket=x\n'), [
    at(3, '`directory = /srv/app` is indented, so it continues `command` from line 2; remove the indentation to make it a key of its own'),
    at(5, '`socket=x` is indented, so it continues `command` from line 2; remove the indentation to make it a key of its own'),
  ]);
});

test('all errors of a file are collected, syntax and values together, in line order', () => {
  assert.deepEqual(problems('command = x\nnot a key\ninstances = many\ncomand = y\n'), [
    at(3, 'expected `key = value` or `[section]`, got `not a key`'),
    at(4, '`instances`: expected a whole number from 1 to 1000, got `many`'),
    at(5, 'unknown key `comand`; did you mean `command`?'),
  ]);
});

test('health-check: http with or without a path, tcp, IPv6 in brackets, %i anywhere; kept as written', () => {
  const check = (value: string): string | null => vassal(`command = x\nhealth-check = ${value}\n`).healthCheck;
  assert.equal(check('http://127.0.0.1:8080/health'), 'http://127.0.0.1:8080/health');
  assert.equal(check('http://localhost:8080'), 'http://localhost:8080');
  assert.equal(check('http://localhost:80/ready?full=1'), 'http://localhost:80/ready?full=1');
  assert.equal(check('tcp://127.0.0.1:5432'), 'tcp://127.0.0.1:5432');
  assert.equal(check('tcp://[::1]:5432'), 'tcp://[::1]:5432');
  assert.equal(check('http://[::1]:8080/health'), 'http://[::1]:8080/health');
  assert.equal(check('tcp://127.0.0.1:80%i'), `tcp://127.0.0.1:80${INSTANCE_MARK}`);
  assert.equal(check('http://10.0.0.%i:8080/%n/%i'), `http://10.0.0.${INSTANCE_MARK}:8080/web/${INSTANCE_MARK}`);
  assert.equal(check('http://127.0.0.1:$(PORT)/'), 'http://127.0.0.1:8080/');
});

test('health-check: only http:// and tcp://, with a host and a port from 1 to 65535', () => {
  const forms = '`http://HOST:PORT/PATH` or `tcp://HOST:PORT`';
  const examples = '`http://127.0.0.1:8080/health` or `tcp://127.0.0.1:5432`';
  const cases: Array<[string, string]> = [
    ['https://127.0.0.1:8443/health', `\`https://\` is not supported: only \`http://\` and \`tcp://\` health checks are (${forms}); to check an HTTPS service, probe its port with \`tcp://HOST:PORT\``],
    ['udp://127.0.0.1:53', `\`udp://\` is not supported: only \`http://\` and \`tcp://\` health checks are (${forms})`],
    ['127.0.0.1:8080', `expected ${forms}, e.g. ${examples}, got \`127.0.0.1:8080\``],
    ['http:localhost:8080', `expected ${forms}, e.g. ${examples}, got \`http:localhost:8080\``],
    ['/health', `expected ${forms}, e.g. ${examples}, got \`/health\``],
    ['http://localhost/health', `no port in \`http://localhost/health\`: write ${forms}, e.g. ${examples}`],
    ['tcp://[::1]', `no port in \`tcp://[::1]\`: write ${forms}, e.g. ${examples}`],
    ['tcp://db:', `no port in \`tcp://db:\`: write ${forms}, e.g. ${examples}`],
    ['tcp://:5432', `no host in \`tcp://:5432\`: write ${forms}, e.g. ${examples}`],
    ['http://:8080/health', `no host in \`http://:8080/health\`: write ${forms}, e.g. ${examples}`],
    ['tcp://db:0', 'port 0 is out of range: a port goes from 1 to 65535'],
    ['http://db:65536/', 'port 65536 is out of range: a port goes from 1 to 65535'],
    ['tcp://db:%i', 'port 0 (with `%i` as 0, the first instance) is out of range: a port goes from 1 to 65535'],
    ['http://::1:8080/', `\`http://::1:8080/\` is not a valid URL: write ${forms}, with an IPv6 host in brackets (\`tcp://[::1]:5432\`)`],
    ['tcp://my db:5432', `\`tcp://my db:5432\` is not a valid URL: write ${forms}, with an IPv6 host in brackets (\`tcp://[::1]:5432\`)`],
    ['http://user:secret@db:8080/', 'a user or password in the URL is not supported; remove the `USER@` part of `http://user:secret@db:8080/`'],
    ['tcp://db:5432/ping', 'a `tcp://` check only connects, so it takes no path: write `tcp://HOST:PORT`, or use `http://` to request a path'],
    ['tcp://db:5432?x=1', 'a `tcp://` check only connects, so it takes no path: write `tcp://HOST:PORT`, or use `http://` to request a path'],
  ];
  for (const [value, message] of cases) {
    assert.deepEqual(problems(`command = x\nhealth-check = ${value}\n`), [at(3, `\`health-check\`: ${message}`)], value);
  }
  assert.deepEqual(problems('command = x\nhealth-check =\n'), [at(3, '`health-check` is empty; give it a value or remove the line')]);
});

test('health-interval, health-timeout, health-retries and max-rss: bad values', () => {
  const duration = 'expected a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds)';
  const lines = [
    'command = x',
    'health-check = tcp://127.0.0.1:5432',
    'health-interval = 0',
    'health-timeout = 0ms',
    'health-retries = 0',
    'max-rss = 0',
  ];
  assert.deepEqual(problems(`${lines.join('\n')}\n`), [
    at(4, '`health-interval`: must be more than 0, e.g. `10s`'),
    at(5, '`health-timeout`: must be more than 0, e.g. `2s`'),
    at(6, '`health-retries`: expected a whole number from 1 to 1000000, got `0`'),
    at(7, '`max-rss`: must be more than 0, e.g. `512M`'),
  ]);
  assert.deepEqual(problems('command = x\nhealth-check = tcp://db:1\nhealth-interval = often\nhealth-timeout = -1s\nhealth-retries = three\nmax-rss = lots\n'), [
    at(4, `\`health-interval\`: ${duration}, got \`often\``),
    at(5, `\`health-timeout\`: ${duration}, got \`-1s\``),
    at(6, '`health-retries`: expected a whole number from 1 to 1000000, got `three`'),
    at(7, '`max-rss`: expected a size such as `512K`, `10M` or `1G` (a bare number is bytes), got `lots`'),
  ]);
});

test('max-rss is a size in bytes and needs no health-check', () => {
  assert.equal(vassal('command = x\nmax-rss = 1G\n').maxRss, 1024 ** 3);
  assert.equal(vassal('command = x\nmax-rss = 300000\n').maxRss, 300_000);
  assert.equal(vassal('command = x\nmax-rss = 64kb\n').maxRss, 64 * 1024);
});

test('health tuning without health-check is a warning only', () => {
  const r = parseVassalFile(FILE, '[vassal]\ncommand = x\nhealth-interval = 5s\nhealth-timeout = 1s\nhealth-retries = 2\n', ENV);
  const none = 'has no effect without `health-check`; add a `health-check` or remove the line';
  assert.deepEqual(r.problems.map(formatProblem), [
    at(3, `warning: \`health-interval\` ${none}`),
    at(4, `warning: \`health-timeout\` ${none}`),
    at(5, `warning: \`health-retries\` ${none}`),
  ]);
  assert.equal(r.vassals.length, 1);
  assert.equal(r.vassals[0]?.healthInterval, 5000);
});

test('a health-timeout longer than health-interval is a warning only', () => {
  const outlasts = 'so a slow probe outlasts the interval; make `health-timeout` at most `health-interval`';
  const r = parseVassalFile(FILE, '[vassal]\ncommand = x\nhealth-check = http://127.0.0.1:8080/\nhealth-timeout = 15s\n', ENV);
  assert.deepEqual(r.problems.map(formatProblem), [
    at(4, `warning: \`health-timeout\` (15000 ms) is longer than \`health-interval\` (10000 ms), ${outlasts}`),
  ]);
  assert.equal(r.vassals.length, 1);
  // only the interval written, shorter than the default timeout: the default timeout shrinks to it, silently
  const short = parseVassalFile(FILE, '[vassal]\ncommand = x\nhealth-check = tcp://db:1\nhealth-interval = 1s\n', ENV);
  assert.deepEqual(short.problems, []);
  assert.equal(short.vassals[0]?.healthTimeout, 1000);
  assert.equal(vassal('command = x\nhealth-check = tcp://db:1\nhealth-interval = 2s\nhealth-timeout = 2s\n').healthTimeout, 2000);
});

test('health keys are supervision keys in the spec, so changing them needs no restart', () => {
  for (const key of ['healthCheck', 'healthInterval', 'healthTimeout', 'healthRetries', 'maxRss'] as const) {
    assert.ok(SUPERVISION_KEYS.includes(key), key);
  }
});

test('log-max-size is a size (0: never rotate), log-backups a whole number from 0 to 1000', () => {
  const sized = (text: string): number => vassal(`command = x\nlog = web.log\nlog-max-size = ${text}\n`).logMaxSize;
  assert.equal(sized('1G'), 1024 ** 3);
  assert.equal(sized('512K'), 512 * 1024);
  assert.equal(sized('10mb'), 10 * 1024 * 1024);
  assert.equal(sized('4096'), 4096);
  assert.equal(sized('0'), 0);
  const kept = (text: string): number => vassal(`command = x\nlog = web.log\nlog-backups = ${text}\n`).logBackups;
  assert.equal(kept('0'), 0);
  assert.equal(kept('1000'), 1000);
  assert.deepEqual(problems('command = x\nlog = web.log\nlog-max-size = 50 megs\nlog-backups = 1001\nlog-backups = 2\n'), [
    at(4, '`log-max-size`: expected a size such as `512K`, `10M` or `1G` (a bare number is bytes), got `50 megs`'),
    at(5, '`log-backups`: expected a whole number from 0 to 1000, got `1001`'),
    at(6, '`log-backups` is already set on line 5'),
  ]);
  assert.deepEqual(problems('command = x\nlog = web.log\nlog-backups = -1\nlog-max-size = %i\n'), [
    at(4, '`log-backups`: expected a whole number from 0 to 1000, got `-1`'),
    at(5, '`log-max-size`: `%i` (the instance index) can only be used in `command`, `directory`, `env`, `log`, `stdout-log`, `stderr-log` and `health-check`; write `%%i` for the literal text'),
  ]);
  const both = vassal('command = x\nstdout-log = out.log\nstderr-log = err.log\nlog-max-size = 1M\nlog-backups = 2\n');
  assert.deepEqual([both.logMaxSize, both.logBackups, both.lines['logMaxSize'], both.lines['logBackups']], [1024 * 1024, 2, 5, 6]);
  assert.deepEqual([vassal('command = x\nstderr-log = err.log\nlog-backups = 0\n').logBackups], [0]);
});

test('rotation keys without a log file are a warning only: the vassal logs to the emperor\'s output', () => {
  const r = parseVassalFile(FILE, '[vassal]\ncommand = x\nlog-max-size = 1M\nlog-backups = 2\n', ENV);
  const none = "has no effect: the vassal logs to the emperor's output; add `log = PATH`";
  assert.deepEqual(r.problems.map(formatProblem), [at(3, `warning: \`log-max-size\` ${none}`), at(4, `warning: \`log-backups\` ${none}`)]);
  assert.deepEqual([r.vassals[0]?.logMaxSize, r.vassals[0]?.logBackups], [1024 * 1024, 2]);
});

test('log-backups with log-max-size = 0 is a warning only: nothing is rotated', () => {
  const r = parseVassalFile(FILE, '[vassal]\ncommand = x\nlog = web.log\nlog-max-size = 0\nlog-backups = 3\n', ENV);
  assert.deepEqual(r.problems.map(formatProblem), [
    at(5, 'warning: `log-backups` has no effect: `log-max-size = 0` (line 4) never rotates the log file'),
  ]);
  assert.deepEqual([r.vassals[0]?.logMaxSize, r.vassals[0]?.logBackups], [0, 3]);
  assert.deepEqual(problems('command = x\nlog = web.log\nlog-max-size = 0\n'), []);
});

test('rotation keys of a smart-attached daemon are a warning only: the daemon writes its log file itself', () => {
  const r = parseVassalFile(FILE, '[vassal]\nsmart-attach-daemon = /run/r.pid redis-server\nlog = r.log\nlog-max-size = 0\nlog-backups = 3\n', ENV);
  const daemon = 'has no effect with `smart-attach-daemon` (line 2): the daemon writes its log file itself, so emperor does not rotate it; remove the line';
  assert.deepEqual(r.problems.map(formatProblem), [at(4, `warning: \`log-max-size\` ${daemon}`), at(5, `warning: \`log-backups\` ${daemon}`)]);
  assert.equal(r.vassals.length, 1);
  assert.deepEqual(problems('smart-attach-daemon = /run/r.pid redis-server\nlog-max-size = 1M\n'), [
    at(3, `warning: \`log-max-size\` ${daemon}`),
  ]);
});

test('rotation keys are supervision keys in the spec, so changing them needs no restart', () => {
  for (const key of ['logMaxSize', 'logBackups'] as const) assert.ok(SUPERVISION_KEYS.includes(key), key);
});

test('rotation names operators bring from supervisord and uWSGI point to the native keys', () => {
  assert.deepEqual(problems('command = x\nstdout_logfile_maxbytes = 1MB\nstderr_logfile_backups = 3\nlog-maxsize = 1M\n'), [
    at(3, 'unknown key `stdout_logfile_maxbytes`; did you mean `log-max-size`?'),
    at(4, 'unknown key `stderr_logfile_backups`; did you mean `log-backups`?'),
    at(5, 'unknown key `log-maxsize`; did you mean `log-max-size`?'),
  ]);
});

const SMART_HINT =
  'the first word of smart-attach-daemon must be the absolute path of the pidfile the daemon writes, e.g. `smart-attach-daemon = /run/redis.pid redis-server /etc/redis.conf`';

test('smart-attach-daemon: the pidfile, then the command kept verbatim for /bin/sh -c, 10 s to write the pidfile', () => {
  const spec = vassal('smart-attach-daemon = /run/redis.pid redis-server /etc/redis.conf  --port "6379" $(PORT)\n');
  assert.deepEqual(spec.command, ['/bin/sh', '-c', 'redis-server /etc/redis.conf  --port "6379" 8080']);
  assert.equal(spec.pidfile, '/run/redis.pid');
  assert.equal(spec.pidfileBy, 'daemon');
  assert.equal(spec.startSecs, 10_000);
  assert.equal(spec.instances, 1);
  assert.deepEqual(spec.lines, { smartAttachDaemon: 2 });
  assert.equal(vassal('command = x\n').pidfile, null);
});

test('smart-attach-daemon: magic in both parts, a normalised pidfile, continuation lines joined by a space', () => {
  const spec = vassal('smart-attach-daemon = %d/run/../pids/%n.pid %d/bin/daemon --name %n --pct 100%% ; comment\n');
  assert.equal(spec.pidfile, `${DIR}/pids/web.pid`);
  assert.deepEqual(spec.command, ['/bin/sh', '-c', `${DIR}/bin/daemon --name web --pct 100%`]);
  assert.equal(vassal('smart-attach-daemon = $(HOME)/x.pid cmd\n').pidfile, '/home/app/x.pid');
  const continued = vassal('smart-attach-daemon = /run/x.pid celery worker\n    --pidfile=/run/x.pid\n    --loglevel=info\n');
  assert.deepEqual(continued.command, ['/bin/sh', '-c', 'celery worker --pidfile=/run/x.pid --loglevel=info']);
});

test('smart-attach-daemon: a first word that is not an absolute path is the forgotten pidfile of uWSGI issue #2561', () => {
  assert.deepEqual(problems('smart-attach-daemon = redis-server /etc/redis.conf\n'), [
    at(2, `\`smart-attach-daemon\`: \`redis-server\` is not an absolute path; ${SMART_HINT}`),
  ]);
  assert.deepEqual(problems('smart-attach-daemon = run/x.pid cmd\n'), [
    at(2, `\`smart-attach-daemon\`: \`run/x.pid\` is not an absolute path; ${SMART_HINT}`),
  ]);
  assert.deepEqual(problems('smart-attach-daemon = $(REL)/x.pid cmd\n', { REL: 'relative' }), [
    at(2, `\`smart-attach-daemon\`: \`relative/x.pid\` is not an absolute path; ${SMART_HINT}`),
  ]);
});

test('smart-attach-daemon: no command after the pidfile, an empty line, %i and unset $(VAR) are errors', () => {
  assert.deepEqual(problems('smart-attach-daemon = /usr/bin/redis-server\n'), [
    at(2, `\`smart-attach-daemon\`: no command after the pidfile \`/usr/bin/redis-server\`; ${SMART_HINT}`),
  ]);
  assert.deepEqual(problems('smart-attach-daemon =\n'), [at(2, '`smart-attach-daemon` is empty; give it a value or remove the line')]);
  const noI = 'can only be used in `command`, `directory`, `env`, `log`, `stdout-log`, `stderr-log` and `health-check`; write `%%i` for the literal text';
  assert.deepEqual(problems('smart-attach-daemon = /run/x%i.pid cmd\n'), [at(2, `\`smart-attach-daemon\`: \`%i\` (the instance index) ${noI}`)]);
  assert.deepEqual(problems('smart-attach-daemon = /run/x.pid cmd --id %i\n'), [at(2, `\`smart-attach-daemon\`: \`%i\` (the instance index) ${noI}`)]);
  assert.deepEqual(problems('smart-attach-daemon = /run/x.pid cmd $(NOPE)\n'), [
    at(2, "`smart-attach-daemon`: `$(NOPE)`: the environment variable NOPE is not set in the emperor's environment; set it where the emperor is started (e.g. its systemd unit) or write the value itself"),
  ]);
});

test('smart-attach-daemon and command together are an error at the later line', () => {
  const both = "holds the daemon's command after its pidfile; keep only one of them";
  assert.deepEqual(problems('command = redis-server\nsmart-attach-daemon = /run/r.pid redis-server\n'), [
    at(3, `\`smart-attach-daemon\` cannot be combined with \`command\` (line 2): \`smart-attach-daemon\` ${both}`),
  ]);
  assert.deepEqual(problems('smart-attach-daemon = /run/r.pid redis-server\ncommand = redis-server\n'), [
    at(3, `\`command\` cannot be combined with \`smart-attach-daemon\` (line 2): \`smart-attach-daemon\` ${both}`),
  ]);
  assert.deepEqual(problems('smart-attach-daemon = /run/a.pid a\nsmart-attach-daemon = /run/b.pid b\n'), [
    at(3, '`smart-attach-daemon` is already set on line 2'),
  ]);
});

test('smart-attach-daemon: one daemon per pidfile, so instances above 1 is an error', () => {
  assert.deepEqual(problems('smart-attach-daemon = /run/r.pid redis-server\ninstances = 2\n'), [
    at(3, '`instances` must be 1 with `smart-attach-daemon` (line 2): one pidfile names one daemon; write one file per daemon'),
  ]);
  assert.equal(vassal('smart-attach-daemon = /run/r.pid redis-server\ninstances = 1\n').instances, 1);
});

test('smart-attach-daemon: start-secs is the time to write the pidfile, at least 10 s (raised with a warning)', () => {
  assert.equal(vassal('smart-attach-daemon = /run/r.pid r\nstart-secs = 30s\n').startSecs, 30_000);
  assert.equal(vassal('smart-attach-daemon = /run/r.pid r\nstart-secs = 10\n').startSecs, 10_000);
  const r = parseVassalFile(FILE, '[vassal]\nsmart-attach-daemon = /run/r.pid r\nstart-secs = 2s\n', ENV);
  assert.deepEqual(r.problems.map(formatProblem), [
    at(3, 'warning: `start-secs` (2000 ms) is raised to 10s: a smart-attached daemon gets at least 10s to write its pidfile'),
  ]);
  assert.equal(r.vassals[0]?.startSecs, 10_000);
  assert.equal(vassal('command = x\nstart-secs = 2s\n').startSecs, 2000, 'plain vassals keep their start-secs');
});

test('names operators bring from uWSGI point to the native keys', () => {
  assert.deepEqual(problems('command = x\npidfile = /run/x.pid\nattach-daemon = y\nsmart-attach-daemon2 = /run/x.pid y\n'), [
    at(3, 'unknown key `pidfile`; did you mean `smart-attach-daemon`?'),
    at(4, 'unknown key `attach-daemon`; did you mean `command`?'),
    at(5, 'unknown key `smart-attach-daemon2`; did you mean `smart-attach-daemon`?'),
  ]);
});

test('memory-max, cpu-weight and pids-max: sizes and numbers, located errors', () => {
  const v = vassal('command = x\nmemory-max = 512M\ncpu-weight = 200\npids-max = 64\n');
  assert.deepEqual([v.memoryMax, v.cpuWeight, v.pidsMax], [512 * 1024 * 1024, 200, 64]);
  const bad = problems('command = x\nmemory-max = lots\ncpu-weight = 0\npids-max = -1\n');
  assert.equal(bad.length, 3, bad.join('\n'));
  assert.match(bad[0] ?? '', new RegExp(`^${FILE}:3: .*memory-max`));
  assert.match(bad[1] ?? '', new RegExp(`^${FILE}:4: .*cpu-weight`));
  assert.match(bad[2] ?? '', new RegExp(`^${FILE}:5: .*pids-max`));
  assert.match(problems('command = x\nTasksMax = 10\n').join('\n'), /did you mean `pids-max`/);
});
