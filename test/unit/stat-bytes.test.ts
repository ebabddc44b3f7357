// Numbers parsed from the bytes of /proc and cgroup files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatKeyedValue, parseProcStat } from '../../src/io/stat-bytes.ts';

const bytes = (s: string): [Buffer, number] => {
  const b = Buffer.alloc(256, 0x41);
  return [b, b.write(s, 'latin1')];
};

test('flat-keyed files: a whole key only, absent keys, the last line without a newline', () => {
  const [b, n] = bytes('anon_thp 7\nanon 4096\nfile_mapped 12\nx 3');
  assert.equal(flatKeyedValue(b, n, 'anon'), 4096);
  assert.equal(flatKeyedValue(b, n, 'anon_thp'), 7);
  assert.equal(flatKeyedValue(b, n, 'file_mapped'), 12);
  assert.equal(flatKeyedValue(b, n, 'x'), 3);
  assert.equal(flatKeyedValue(b, n, 'file'), null);
  assert.equal(flatKeyedValue(b, 0, 'anon'), null);
});

test('/proc/PID/stat: a name with spaces and parentheses, and a cut-off file', () => {
  const line = '42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 1000 9000000 250 18446744073709551615';
  const [b, n] = bytes(line);
  assert.deepEqual(parseProcStat(b, n), { state: 0x53, pgrp: 42, ticks: 10, rssPages: 250 });
  const [c, m] = bytes('42 (x) S 1 42');
  assert.equal(parseProcStat(c, m), null);
});
