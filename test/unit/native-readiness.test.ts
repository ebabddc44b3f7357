// The readiness keys of [vassal]: values, defaults, and a located error for each bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, parseVassalFile } from '../../src/config/parse-file.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { completedProblems, readinessOf } from '../../src/config/readiness-spec.ts';

const FILE = '/etc/emperor/vassals/web.ini';
const parse = (body: string) => parseVassalFile(FILE, `[vassal]\n${body}`, {});
const vassal = (body: string): VassalSpec => {
  const r = parse(body);
  assert.deepEqual(r.problems.filter((p) => !p.warning).map(formatProblem), []);
  return r.vassals[0] as VassalSpec;
};
const problems = (body: string): string[] => parse(body).problems.map(formatProblem);
const at = (line: number, message: string): string => `${FILE}:${line}: ${message}`;

test('notify, watchdog, watchdog-signal, start-timeout, ready-log-line and depends :completed', () => {
  const spec = vassal('command = x\nnotify = true\nwatchdog = 2s\nwatchdog-signal = KILL\nstart-timeout = 30s\ndepends = db, migrate:completed, cache:running\nrestart = always\n');
  assert.deepEqual(spec.depends, ['db', 'cache']);
  assert.deepEqual(readinessOf(spec), {
    notify: true,
    watchdog: 2000,
    watchdogSignal: 'SIGKILL',
    startTimeout: 30_000,
    readyLogLine: null,
    dependsCompleted: ['migrate'],
    uwsgi: null,
  });
  assert.equal(readinessOf(vassal('command = x\nready-log-line = ^listening on \\d+\n')).readyLogLine, '^listening on \\d+');
});

test('a file with no readiness key has the defaults: 90 s start-timeout, SIGABRT, nothing announced', () => {
  const spec = vassal('command = x\n');
  assert.equal(spec.readiness, undefined);
  assert.deepEqual(readinessOf(spec), {
    notify: false,
    watchdog: null,
    watchdogSignal: 'SIGABRT',
    startTimeout: 90_000,
    readyLogLine: null,
    dependsCompleted: [],
    uwsgi: null,
  });
});

test('bad values name the file, the line and the accepted forms', () => {
  assert.deepEqual(problems('command = x\nnotify = true\nwatchdog = soon\nnotify-x = 1\n').slice(0, 1), [
    at(4, '`watchdog`: expected a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds), got `soon`'),
  ]);
  assert.deepEqual(problems('command = x\nnotify = maybe\n'), [at(3, '`notify`: expected `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`), got `maybe`')]);
  assert.deepEqual(problems('command = x\nnotify = true\nstart-timeout = 0\n'), [at(4, '`start-timeout`: must be more than 0, e.g. `30s`')]);
  assert.deepEqual(problems('command = x\nready-log-line = (unclosed\n'), [
    at(3, '`ready-log-line`: `(unclosed` is not a valid JavaScript regular expression (Invalid regular expression: /(unclosed/: Unterminated group); write `%%` for a literal percent sign'),
  ]);
  assert.deepEqual(problems('command = x\ndepends = db:ready\n'), [
    at(3, '`depends`: unknown condition `ready` in `db:ready`: write `NAME` or `NAME:running` (wait until it is RUNNING, which means ready) or `NAME:completed` (wait until a one-shot has exited with a code in its `exit-codes`)'),
  ]);
});

test('keys that contradict each other', () => {
  assert.deepEqual(problems('command = x\nwatchdog = 5s\n'), [
    at(3, '`watchdog` needs `notify = true`: the vassal sends WATCHDOG=1 over its NOTIFY_SOCKET; add `notify = true` or remove the line'),
  ]);
  const daemon = 'smart-attach-daemon = /run/x.pid x\n';
  assert.deepEqual(problems(`${daemon}notify = yes\nready-log-line = up\n`), [
    at(3, "`notify` cannot be combined with `smart-attach-daemon` (line 2): a daemon is not the emperor's child and has no output pipe; it is RUNNING once its pidfile names it, or run it in the foreground with `command`"),
    at(4, "`ready-log-line` cannot be combined with `smart-attach-daemon` (line 2): a daemon is not the emperor's child and has no output pipe; it is RUNNING once its pidfile names it, or run it in the foreground with `command`"),
  ]);
  assert.deepEqual(problems('command = x\nnotify = true\nstart-secs = 10s\nstart-timeout = 5s\n'), [
    at(5, '`start-timeout` (5000 ms) is shorter than `start-secs` (line 4, 10000 ms); make `start-timeout` at least `start-secs`'),
  ]);
});

test('keys with no effect are warnings', () => {
  assert.deepEqual(problems('command = x\nstart-timeout = 30s\nwatchdog-signal = KILL\n'), [
    at(3, 'warning: `start-timeout` has no effect: it bounds the wait for `notify` or `ready-log-line`; without them `start-secs` decides'),
    at(4, 'warning: `watchdog-signal` has no effect without `watchdog`; add `watchdog = DURATION` or remove the line'),
  ]);
  assert.deepEqual(problems('command = x\nnotify = true\nstart-secs = 3s\n'), [
    at(4, 'warning: `start-secs` does not apply with `notify`: the vassal is RUNNING once it says it is ready, within `start-timeout`'),
  ]);
});

test('systemd and process-compose names suggest the native key', () => {
  assert.match(problems('command = x\nWatchdogSec = 5\n')[0] ?? '', /did you mean `watchdog`/);
  assert.match(problems('command = x\nTimeoutStartSec = 5\n')[0] ?? '', /did you mean `start-timeout`/);
});

test('across files: `:completed` on a vassal that always restarts is an error at the depends line', () => {
  const app = parseVassalFile('/v/app.ini', '[vassal]\ncommand = x\ndepends = db, worker:completed\n', {}).vassals[0] as VassalSpec;
  const worker = parseVassalFile('/v/worker.ini', '[vassal]\ncommand = y\n', {}).vassals[0] as VassalSpec;
  const once = parseVassalFile('/v/worker.ini', '[vassal]\ncommand = y\nrestart = never\n', {}).vassals[0] as VassalSpec;
  assert.deepEqual(completedProblems([app, worker]).map(formatProblem), [
    '/v/app.ini:3: `depends = worker:completed`, but worker (/v/worker.ini) has `restart = always` and never completes; set `restart = on-failure` or `never` there, or depend on `worker` being RUNNING',
  ]);
  assert.deepEqual(completedProblems([app, once]), []);
});
