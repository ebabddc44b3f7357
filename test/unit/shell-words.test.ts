import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitShellWords } from '../../src/config/shell-words.ts';

const words = (s: string): string[] => {
  const r = splitShellWords(s);
  assert.ok(r.ok, `expected ${JSON.stringify(s)} to split`);
  return r.value;
};

test('splits on runs of blanks, including tabs and newlines', () => {
  assert.deepEqual(words('python3 app.py --port 80'), ['python3', 'app.py', '--port', '80']);
  assert.deepEqual(words('  a \t b\n\nc  '), ['a', 'b', 'c']);
  assert.deepEqual(words(''), []);
  assert.deepEqual(words('   '), []);
});

test('single quotes keep everything literally, backslashes included', () => {
  assert.deepEqual(words("echo 'a  b' 'c\\d' '$HOME'"), ['echo', 'a  b', 'c\\d', '$HOME']);
  assert.deepEqual(words("''"), ['']);
  assert.deepEqual(words("a''b"), ['ab']);
  assert.deepEqual(words("'\"'"), ['"']);
});

test('double quotes escape only $ ` " \\ and newline', () => {
  assert.deepEqual(words('"a b"'), ['a b']);
  assert.deepEqual(words('"\\$HOME \\` \\" \\\\"'), ['$HOME ` " \\']);
  assert.deepEqual(words('"\\n\\a"'), ['\\n\\a']);
  assert.deepEqual(words('"line\\\nnext"'), ['linenext']);
  assert.deepEqual(words('""'), ['']);
  assert.deepEqual(words(`"it's"`), ["it's"]);
});

test('backslashes outside quotes escape the next character; backslash-newline joins lines', () => {
  assert.deepEqual(words('a\\ b c'), ['a b', 'c']);
  assert.deepEqual(words("\\'x\\\""), ['\'x"']);
  assert.deepEqual(words('\\\\'), ['\\']);
  assert.deepEqual(words('a\\\nb'), ['ab']);
  assert.deepEqual(words('a \\\n b'), ['a', 'b']);
});

test('quoted and bare pieces join into one word', () => {
  assert.deepEqual(words(`--name="my app"'s'x`), ['--name=my appsx']);
  assert.deepEqual(words(`a"b"'c'd`), ['abcd']);
});

test('nothing is expanded: variables, globs, tildes, comments, operators stay as written', () => {
  assert.deepEqual(words('echo $HOME ~ *.py # not a comment $(date) a|b >out'), [
    'echo',
    '$HOME',
    '~',
    '*.py',
    '#',
    'not',
    'a',
    'comment',
    '$(date)',
    'a|b',
    '>out',
  ]);
});

test('an unterminated quote is an error that shows where it starts', () => {
  assert.deepEqual(splitShellWords("echo 'abc"), {
    ok: false,
    message: "unterminated single quote: `'abc` has no closing `'`; close it, or escape it as `\\'`",
  });
  assert.deepEqual(splitShellWords('echo "abc'), {
    ok: false,
    message: 'unterminated double quote: `"abc` has no closing `"`; close it, or escape it as `\\"`',
  });
  assert.deepEqual(splitShellWords('echo "abc\\"'), {
    ok: false,
    message: 'unterminated double quote: `"abc\\"` has no closing `"`; close it, or escape it as `\\"`',
  });
});

test('a trailing backslash is an error', () => {
  assert.deepEqual(splitShellWords('echo \\'), {
    ok: false,
    message: 'the command ends with a backslash that escapes nothing; remove it, or write `\\\\` for a literal backslash',
  });
});

test('a long command splits in linear time', () => {
  const r = splitShellWords('"a b" '.repeat(200_000));
  assert.ok(r.ok);
  assert.equal(r.value.length, 200_000);
});
