import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_DURATION_MS,
  parseBool,
  parseDuration,
  parseExitCodes,
  parseInteger,
  parseOctal,
  parseSignal,
  parseSize,
} from '../../src/config/values.ts';

const DURATION = 'expected a duration such as `250ms`, `10s`, `5m` or `1h` (a bare number is seconds), got ';
const SIZE = 'expected a size such as `512K`, `10M` or `1G` (a bare number is bytes), got ';
const BOOL = 'expected `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`), got ';
const SIGNAL =
  'expected a signal such as `TERM`, `INT`, `HUP`, `QUIT` or `USR1` (also `SIGTERM`, or a number like `15`), got ';
const OCTAL = 'expected an octal umask such as `022` or `0o027`, got ';

test('parseDuration reads units, bare seconds and decimals into milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['250ms', 250],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['30', 30_000],
    ['0', 0],
    ['1.5s', 1500],
    ['.5s', 500],
    ['0.25', 250],
    ['2 s', 2000],
    [' 10S ', 10_000],
    ['1H', 3_600_000],
    ['596h', 2_145_600_000],
  ];
  for (const [text, ms] of cases) assert.deepEqual(parseDuration(text), { ok: true, value: ms }, text);
});

test('parseDuration rejects what is not a duration, saying what is expected', () => {
  for (const text of ['', 'ten', '-1s', '1d', '1.s', '5 minutes', '1e3', 's', '1s2', 'x'.repeat(100)]) {
    const r = parseDuration(text);
    assert.equal(r.ok, false, text);
  }
  assert.deepEqual(parseDuration('ten'), { ok: false, message: `${DURATION}\`ten\`` });
  assert.deepEqual(parseDuration('1d'), { ok: false, message: `${DURATION}\`1d\`` });
});

test('parseDuration refuses delays longer than a Node timer can wait', () => {
  assert.deepEqual(parseDuration(`${MAX_DURATION_MS}ms`), { ok: true, value: MAX_DURATION_MS });
  assert.deepEqual(parseDuration('600h'), {
    ok: false,
    message: '`600h` is too long: a duration can be at most 24 days (`596h`)',
  });
});

test('parseSize reads K/M/G with or without B, any case, bare bytes', () => {
  const cases: Array<[string, number]> = [
    ['512', 512],
    ['0', 0],
    ['100b', 100],
    ['512K', 524_288],
    ['512k', 524_288],
    ['512KB', 524_288],
    ['10M', 10_485_760],
    ['10mb', 10_485_760],
    ['1G', 1_073_741_824],
    ['1gb', 1_073_741_824],
    ['1.5K', 1536],
    ['2 M', 2_097_152],
  ];
  for (const [text, bytes] of cases) assert.deepEqual(parseSize(text), { ok: true, value: bytes }, text);
});

test('parseSize rejects what is not a size', () => {
  for (const text of ['', 'big', '-1K', '1X', 'K', '1KiB', '1 0M']) assert.equal(parseSize(text).ok, false, text);
  assert.deepEqual(parseSize('big'), { ok: false, message: `${SIZE}\`big\`` });
  assert.deepEqual(parseSize('99999999999999999G'), { ok: false, message: '`99999999999999999G` is too large for a size' });
});

test('parseBool accepts the usual words in any case', () => {
  for (const text of ['true', 'TRUE', 'yes', 'Yes', 'on', '1', ' on ']) assert.deepEqual(parseBool(text), { ok: true, value: true });
  for (const text of ['false', 'False', 'no', 'NO', 'off', '0']) assert.deepEqual(parseBool(text), { ok: true, value: false });
  assert.deepEqual(parseBool('maybe'), { ok: false, message: `${BOOL}\`maybe\`` });
  assert.deepEqual(parseBool(''), { ok: false, message: `${BOOL}\`\`` });
  assert.equal(parseBool('2').ok, false);
});

test('parseSignal gives canonical names from short names, full names and numbers', () => {
  const cases: Array<[string, string]> = [
    ['TERM', 'SIGTERM'],
    ['term', 'SIGTERM'],
    ['SIGTERM', 'SIGTERM'],
    ['sigterm', 'SIGTERM'],
    ['15', 'SIGTERM'],
    ['9', 'SIGKILL'],
    ['HUP', 'SIGHUP'],
    ['1', 'SIGHUP'],
    ['INT', 'SIGINT'],
    ['QUIT', 'SIGQUIT'],
    ['USR1', 'SIGUSR1'],
    ['usr2', 'SIGUSR2'],
    ['6', 'SIGABRT'],
  ];
  for (const [text, name] of cases) assert.deepEqual(parseSignal(text), { ok: true, value: name }, text);
});

test('parseSignal rejects unknown names and numbers', () => {
  for (const text of ['FOO', 'SIG', '0', '99', '', 'SIGSIGTERM', '-15', 'constructor']) {
    assert.equal(parseSignal(text).ok, false, text);
  }
  assert.deepEqual(parseSignal('FOO'), { ok: false, message: `${SIGNAL}\`FOO\`` });
});

test('parseOctal reads umasks in the usual spellings', () => {
  const cases: Array<[string, number]> = [
    ['022', 0o22],
    ['0022', 0o22],
    ['0o022', 0o22],
    ['0O27', 0o27],
    ['0', 0],
    ['777', 0o777],
    ['0777', 0o777],
    ['77', 0o77],
  ];
  for (const [text, value] of cases) assert.deepEqual(parseOctal(text), { ok: true, value }, text);
});

test('parseOctal rejects non-octal text and values past 0777', () => {
  assert.deepEqual(parseOctal('099'), { ok: false, message: `${OCTAL}\`099\`` });
  assert.deepEqual(parseOctal('abc'), { ok: false, message: `${OCTAL}\`abc\`` });
  assert.deepEqual(parseOctal(''), { ok: false, message: `${OCTAL}\`\`` });
  assert.deepEqual(parseOctal('00000'), { ok: false, message: `${OCTAL}\`00000\`` });
  assert.deepEqual(parseOctal('1777'), { ok: false, message: '`1777` is out of range: a umask goes from `000` to `777`' });
});

test('parseInteger checks form and range', () => {
  const range = { min: 1, max: 1000 };
  assert.deepEqual(parseInteger('1', range), { ok: true, value: 1 });
  assert.deepEqual(parseInteger(' 1000 ', range), { ok: true, value: 1000 });
  assert.deepEqual(parseInteger('+7', range), { ok: true, value: 7 });
  assert.deepEqual(parseInteger('-0', { min: 0, max: 5 }), { ok: true, value: 0 });
  const message = (got: string): string => `expected a whole number from 1 to 1000, got \`${got}\``;
  assert.deepEqual(parseInteger('0', range), { ok: false, message: message('0') });
  assert.deepEqual(parseInteger('1001', range), { ok: false, message: message('1001') });
  assert.deepEqual(parseInteger('1.5', range), { ok: false, message: message('1.5') });
  assert.deepEqual(parseInteger('two', range), { ok: false, message: message('two') });
  assert.deepEqual(parseInteger('', range), { ok: false, message: message('') });
  assert.equal(parseInteger('9'.repeat(400), range).ok, false);
});

test('parseExitCodes reads comma or space separated codes', () => {
  assert.deepEqual(parseExitCodes('0'), { ok: true, value: [0] });
  assert.deepEqual(parseExitCodes('0, 2'), { ok: true, value: [0, 2] });
  assert.deepEqual(parseExitCodes('0 2 3'), { ok: true, value: [0, 2, 3] });
  assert.deepEqual(parseExitCodes('0,2,,2, 255'), { ok: true, value: [0, 2, 255] });
  assert.deepEqual(parseExitCodes('0, 256'), {
    ok: false,
    message: 'expected exit codes from 0 to 255 separated by commas, e.g. `0, 2`, got `256`',
  });
  assert.deepEqual(parseExitCodes(' , '), {
    ok: false,
    message: 'expected exit codes from 0 to 255 separated by commas, e.g. `0, 2`, got ` , `',
  });
});
