import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, parseVassalFile } from '../../src/config/parse-file.ts';
import type { ConfigProblem } from '../../src/config/spec.ts';

const DIR = '/etc/emperor/vassals';
const parse = (text: string, file = `${DIR}/app.ini`) => parseVassalFile(file, text, {});
const formatted = (text: string, file = `${DIR}/app.ini`): string[] => parse(text, file).problems.map(formatProblem);
const NO_VASSAL =
  'no [vassal] section: a vassal file needs a `[vassal]` header followed by at least `command = ...` (uWSGI files use [uwsgi], supervisord files [program:NAME])';

test('formatProblem prints FILE:LINE: message, and marks warnings', () => {
  const error: ConfigProblem = { file: '/v/a.ini', line: 3, message: 'bad', warning: false };
  assert.equal(formatProblem(error), '/v/a.ini:3: bad');
  assert.equal(formatProblem({ ...error, warning: true }), '/v/a.ini:3: warning: bad');
});

test('the vassal is named after the file, without .ini or .conf', () => {
  assert.equal(parse('[vassal]\ncommand = x\n', `${DIR}/web.ini`).vassals[0]?.name, 'web');
  assert.equal(parse('[vassal]\ncommand = x\n', `${DIR}/api@2.conf`).vassals[0]?.name, 'api@2');
  assert.equal(parse('[vassal]\ncommand = x\n', `${DIR}/my.app_v-1.ini`).vassals[0]?.name, 'my.app_v-1');
});

test('a file name that makes a bad vassal name is an error at line 1', () => {
  assert.deepEqual(formatted('[vassal]\ncommand = x\n', `${DIR}/my app.ini`), [
    `${DIR}/my app.ini:1: the vassal name \`my app\` comes from the file name and may only hold letters, digits, \`_\`, \`.\`, \`@\` and \`-\`; rename the file`,
  ]);
});

test('a file with no recognised section says what is expected', () => {
  assert.deepEqual(formatted(''), [`${DIR}/app.ini:1: ${NO_VASSAL}`]);
  assert.deepEqual(formatted('; only a comment\n'), [`${DIR}/app.ini:1: ${NO_VASSAL}`]);
  assert.deepEqual(formatted('[service]\nExecStart = x\n'), [`${DIR}/app.ini:1: ${NO_VASSAL}`]);
  assert.deepEqual(formatted('command = x\n'), [
    `${DIR}/app.ini:1: \`command\` comes before any section header; put a header such as \`[vassal]\` above it`,
    `${DIR}/app.ini:1: ${NO_VASSAL}`,
  ]);
  const r = parse('[supervisord]\nlogfile = x\n');
  assert.equal(r.dialect, null);
  assert.deepEqual(r.vassals, []);
});

test('a misspelt dialect section is pointed out', () => {
  assert.deepEqual(formatted('; hi\n[vasal]\ncommand = x\n'), [
    `${DIR}/app.ini:2: ${NO_VASSAL}; did you mean [vassal] instead of [vasal]?`,
  ]);
  assert.deepEqual(formatted('[Vassal]\ncommand = x\n'), [
    `${DIR}/app.ini:1: ${NO_VASSAL}; did you mean [vassal] instead of [Vassal]?`,
  ]);
});

test('two dialects in one file are an error naming both sections and their lines', () => {
  const r = parse('[vassal]\ncommand = x\n\n[program:web]\ncommand = y\n');
  assert.equal(r.dialect, null);
  assert.deepEqual(r.vassals, []);
  assert.deepEqual(r.problems.map(formatProblem), [
    `${DIR}/app.ini:4: this file mixes dialects: [vassal] (line 1) and [program:web] (line 4); a file holds exactly one, so split it into one file per dialect`,
  ]);
  assert.deepEqual(formatted('[uwsgi]\nmodule = x\n[vassal]\ncommand = y\n'), [
    `${DIR}/app.ini:3: this file mixes dialects: [uwsgi] (line 1) and [vassal] (line 3); a file holds exactly one, so split it into one file per dialect`,
  ]);
});

test('a uWSGI file is recognised and passed to uwsgi as it is', () => {
  const uwsgi = parse('; app\n[uwsgi]\nmaster\nmodule = app:wsgi\nfor = a b\n  print = %(_)\nendfor =\n');
  assert.equal(uwsgi.dialect, 'uwsgi');
  assert.deepEqual(uwsgi.problems.map(formatProblem), []);
  assert.deepEqual(uwsgi.vassals.map((v) => [v.name, v.command, v.uwsgiApp]), [['app', ['uwsgi', '--ini', `${DIR}/app.ini`], true]]);
});

test('supervisord files are read by their dialect: a vassal per valid program, problems per section', () => {
  const supervisord = parse('[supervisord]\nnodaemon=true\n[program:web]\ncommand=x\nenvironment=A="1",\n  B="2"\n[program:api]\n', `${DIR}/apps.conf`);
  assert.equal(supervisord.dialect, 'supervisord');
  assert.deepEqual(supervisord.problems.map(formatProblem), [
    `${DIR}/apps.conf:1: warning: [supervisord] is ignored: emperor runs each [program:x] itself`,
    `${DIR}/apps.conf:7: [program:api] has no \`command\`: supervisord needs the program to run, e.g. \`command = /usr/bin/python3 app.py\``,
  ]);
  assert.deepEqual(supervisord.vassals, [], 'an error anywhere in the file makes it unusable');
});

test('a binary file gets one error and no dialect', () => {
  const r = parse('[vassal]\ncommand = x\n\0\0\0garbage\n[program:x]\n');
  assert.equal(r.dialect, null);
  assert.deepEqual(r.problems.map(formatProblem), [
    `${DIR}/app.ini:3: the file holds NUL bytes, so it is binary, not INI text; keep only text vassal files here`,
  ]);
});

test('problems are capped at 20 plus one line counting the rest, in line order', () => {
  const body = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `bad line ${i}` : `unknown${i} = 1`)).join('\n');
  const problems = formatted(`[vassal]\ncommand = x\n${body}\n`);
  assert.equal(problems.length, 21);
  assert.equal(problems[0], `${DIR}/app.ini:3: expected \`key = value\` or \`[section]\`, got \`bad line 0\``);
  assert.equal(problems[19], `${DIR}/app.ini:22: unknown key \`unknown19\`; see the vassal file reference in README.md`);
  assert.equal(problems[20], `${DIR}/app.ini:23: ... 20 more problems`);
});

test('warnings alone keep the file usable; the summary of only warnings is a warning', () => {
  const r = parse('[vassal]\ncommand = x\nbackoff = 90s\n');
  assert.equal(r.vassals.length, 1);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]?.warning, true);
});

test('a 5 MB garbage file returns problems without throwing', () => {
  let seed = 7;
  const bytes = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const b = seed % 97;
    bytes[i] = b < 8 ? 10 : b < 12 ? 61 : b < 14 ? 91 : b < 16 ? 93 : 32 + (b % 90);
  }
  const r = parse(bytes.toString('latin1'));
  assert.ok(r.problems.length >= 1 && r.problems.length <= 21);
  assert.deepEqual(r.vassals, []);
});

test('huge files of one repeated shape return quickly enough and stay capped', () => {
  const MB = 1024 * 1024;
  const shapes = [
    `[vassal]\n${'abcdefgh = c\n'.repeat(MB / 13)}`,
    'x y z\n'.repeat(MB / 6),
    '[a]\n'.repeat(MB / 4),
    `[vassal]\ncommand = x\n${'  more\n'.repeat(MB / 7)}`,
    `[vassal]\ncommand = ${'"a '.repeat(MB / 3)}`,
    `[vassal]\ncommand = x\nenv = A=${'$($('.repeat(MB / 4)}`,
  ];
  for (const text of shapes) {
    const r = parse(text);
    assert.ok(r.problems.length <= 21);
  }
});
