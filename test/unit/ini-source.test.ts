import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readIni } from '../../src/config/ini-source.ts';
import type { IniDocument } from '../../src/config/ini-source.ts';
import { formatProblem } from '../../src/config/parse-file.ts';

const F = '/v/app.ini';
/** The document as [section, line, [key, value, line][]] tuples, for compact assertions. */
const shape = (doc: IniDocument): Array<[string, number, Array<[string, string, number]>]> =>
  doc.sections.map((s) => [s.name, s.line, s.entries.map((e): [string, string, number] => [e.key, e.value, e.line])]);
const errors = (doc: IniDocument): string[] => doc.problems.map(formatProblem);

test('reads sections and keys with their lines, with or without spaces around =', () => {
  const doc = readIni(F, '[vassal]\ncommand = python3 app.py\nuser=www\n\n[other]\nkey =\n');
  assert.deepEqual(shape(doc), [
    ['vassal', 1, [['command', 'python3 app.py', 2], ['user', 'www', 3]]],
    ['other', 5, [['key', '', 6]]],
  ]);
  assert.deepEqual(doc.problems, []);
  assert.equal(doc.binary, false);
});

test('keeps every occurrence of a repeated key, and a repeated section as a second section', () => {
  const doc = readIni(F, '[a]\nenv = A=1\nenv = B=2\n[a]\nenv = C=3\n');
  assert.deepEqual(shape(doc), [
    ['a', 1, [['env', 'A=1', 2], ['env', 'B=2', 3]]],
    ['a', 4, [['env', 'C=3', 5]]],
  ]);
});

test('splits at the first = only', () => {
  const doc = readIni(F, '[a]\nenv = A=b=c\n');
  assert.deepEqual(shape(doc), [['a', 1, [['env', 'A=b=c', 2]]]]);
});

test('whole-line comments start with ; or #, also indented', () => {
  const doc = readIni(F, '; top\n# top\n[a]\n  ; indented\n\t# indented\nk = v\n');
  assert.deepEqual(shape(doc), [['a', 3, [['k', 'v', 6]]]]);
  assert.deepEqual(doc.problems, []);
});

test('inline comments start at ; after whitespace; a # or a ; without whitespace belongs to the value', () => {
  const doc = readIni(
    F,
    '[a] ; the section\nk1 = value ; comment\nk2 = a;b\nk3 = color #fff\nk4 = x\t; tab comment\nk5 = http://h/#frag\nk6 = ;all comment\n',
  );
  assert.deepEqual(shape(doc), [
    [
      'a',
      1,
      [
        ['k1', 'value', 2],
        ['k2', 'a;b', 3],
        ['k3', 'color #fff', 4],
        ['k4', 'x', 5],
        ['k5', 'http://h/#frag', 6],
        ['k6', '', 7],
      ],
    ],
  ]);
});

test('# inline comments when a dialect asks for them', () => {
  const doc = readIni(F, '[a]\nk = v # note\nj = a#b\n', { inlineCommentPrefixes: [';', '#'] });
  assert.deepEqual(shape(doc), [['a', 1, [['k', 'v', 2], ['j', 'a#b', 3]]]]);
});

test('indented lines after a key continue its value, joined with newlines (configparser)', () => {
  const text = '[a]\nenv = A=1,\n    B=2,\n\n    C=3 ; note\n  ; a comment inside\n    D=4\nnext = x\n';
  assert.deepEqual(shape(readIni(F, text)), [
    ['a', 1, [['env', 'A=1,\nB=2,\n\nC=3\nD=4', 2], ['next', 'x', 8]]],
  ]);
});

test('each entry keeps the continuation lines it took, with their lines', () => {
  const doc = readIni(F, '[a]\ncommand = run\n  --a ; c\n\n  --b\nnext = 1\n');
  assert.deepEqual(doc.sections[0]?.entries[0]?.continuation, [
    { line: 3, text: '--a' },
    { line: 5, text: '--b' },
  ]);
  assert.deepEqual(doc.sections[0]?.entries[1]?.continuation, []);
});

test('a continuation needs more indentation than its key, and an empty first value takes no leading newline', () => {
  const text = '[a]\n  k = 1\n  j = 2\n    more\nempty =\n  first\n\n\nlast = 3\n';
  assert.deepEqual(shape(readIni(F, text)), [
    ['a', 1, [['k', '1', 2], ['j', '2\nmore', 3], ['empty', 'first', 5], ['last', '3', 9]]],
  ]);
});

test('an indented line after a section header, or with continuations off, is a line of its own', () => {
  assert.deepEqual(shape(readIni(F, '[a]\n  k = 1\n')), [['a', 1, [['k', '1', 2]]]]);
  const off = readIni(F, '[a]\nk = 1\n  j = 2\n', { continuationLines: false });
  assert.deepEqual(shape(off), [['a', 1, [['k', '1', 2], ['j', '2', 3]]]]);
});

test('bare keys are errors unless a dialect allows them', () => {
  const text = '[uwsgi]\nmaster\nhttp = :80\n';
  assert.deepEqual(errors(readIni(F, text)), ['/v/app.ini:2: expected `key = value` or `[section]`, got `master`']);
  const doc = readIni(F, text, { bareKeys: true });
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(doc.sections[0]?.entries[0], { key: 'master', value: '', line: 2, bare: true, continuation: [] });
  assert.equal(doc.sections[0]?.entries[1]?.bare, false);
});

test('CRLF line ends and a UTF-8 BOM are read like LF text', () => {
  const doc = readIni(F, '\uFEFF[vassal]\r\ncommand = run ; c\r\n  --flag\r\nuser = www\r\n');
  assert.deepEqual(shape(doc), [['vassal', 1, [['command', 'run\n--flag', 2], ['user', 'www', 4]]]]);
  assert.deepEqual(doc.problems, []);
});

test('a last line without a newline is read', () => {
  assert.deepEqual(shape(readIni(F, '[a]\nk = v')), [['a', 1, [['k', 'v', 2]]]]);
  assert.deepEqual(shape(readIni(F, '')), []);
});

test('every bad line is reported with its line number', () => {
  const text = [
    'top = 1',
    '[a]',
    'just words',
    'key: value',
    '= value',
    '[]',
    '[  ]',
    '[open',
    '[b] trailing',
    '[c] # fine',
    '[d]x',
  ].join('\n');
  assert.deepEqual(errors(readIni(F, text)), [
    '/v/app.ini:1: `top` comes before any section header; put a header such as `[vassal]` above it',
    '/v/app.ini:3: expected `key = value` or `[section]`, got `just words`',
    '/v/app.ini:4: expected `key = value` or `[section]`, got `key: value`; write `=` between the key and its value',
    '/v/app.ini:5: `= value` has no key before `=`; write `key = value`',
    '/v/app.ini:6: empty section name `[]`; name the section, e.g. `[vassal]`',
    '/v/app.ini:7: empty section name `[]`; name the section, e.g. `[vassal]`',
    '/v/app.ini:8: `[open` is missing its closing `]`; write a section header as `[name]`',
    '/v/app.ini:9: unexpected `trailing` after the section header `[b]`; only a comment may follow `]`',
    '/v/app.ini:11: unexpected `x` after the section header `[d]`; only a comment may follow `]`',
  ]);
});

test('keys under a broken section header are dropped without more errors', () => {
  const doc = readIni(F, '[]\nk = v\n[ok]\nj = w\n');
  assert.deepEqual(errors(doc), ['/v/app.ini:1: empty section name `[]`; name the section, e.g. `[vassal]`']);
  assert.deepEqual(shape(doc), [['ok', 3, [['j', 'w', 4]]]]);
});

test('a file with NUL bytes is binary: one error, nothing read', () => {
  const doc = readIni(F, '[vassal]\ncommand = x\nab\0cd\n\0\n');
  assert.equal(doc.binary, true);
  assert.deepEqual(doc.sections, []);
  assert.deepEqual(errors(doc), [
    '/v/app.ini:3: the file holds NUL bytes, so it is binary, not INI text; keep only text vassal files here',
  ]);
});

test('bad UTF-8 (decoded as U+FFFD) is reported once, at its first line', () => {
  const text = Buffer.from([...Buffer.from('[a]\nk = ok\nj = '), 0xff, 0xfe, ...Buffer.from('\nx = \xff')]).toString('utf8');
  const doc = readIni(F, text);
  assert.deepEqual(errors(doc), ['/v/app.ini:3: this line is not valid UTF-8; save the file as UTF-8']);
  assert.equal(doc.sections[0]?.entries.length, 3);
});

test('quoted garbage is shortened and control characters escaped', () => {
  const doc = readIni(F, `[a]\n${'x'.repeat(100)}\n\u001b[31mred\n`);
  assert.deepEqual(errors(doc), [
    `/v/app.ini:2: expected \`key = value\` or \`[section]\`, got \`${'x'.repeat(60)}...\``,
    '/v/app.ini:3: expected `key = value` or `[section]`, got `\\x1b[31mred`',
  ]);
});

test('reports at most 20 problems, then one line counting the rest', () => {
  const doc = readIni(F, '[a]\n' + 'bad\n'.repeat(50));
  assert.equal(doc.problems.length, 21);
  assert.equal(formatProblem(doc.problems[19]!), '/v/app.ini:21: expected `key = value` or `[section]`, got `bad`');
  assert.equal(formatProblem(doc.problems[20]!), '/v/app.ini:22: ... 30 more problems');
  assert.equal(readIni(F, '[a]\n' + 'bad\n'.repeat(50), { maxProblems: Infinity }).problems.length, 50);
});

test('random bytes never throw', () => {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let round = 0; round < 50; round += 1) {
    const bytes = Buffer.from(Array.from({ length: 2000 }, () => (random() % 255) + 1));
    const doc = readIni(F, bytes.toString('utf8'));
    assert.ok(doc.problems.length <= 21);
  }
});
