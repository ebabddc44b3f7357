// A packed event reads back exactly as the event its subscribers got: the same keys, in order, the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packEvent, unpackEvent } from '../../src/runtime/event-entry.ts';
import type { EventRecord } from '../../src/runtime/event-log.ts';

const as = (r: EventRecord, time: number): unknown => Object.assign({}, r, { time });

const RECORDS: EventRecord[] = [
  { level: 'info', vassal: 'web', message: 'found /v/web.ini' },
  { level: 'info', message: 'emperor started' },
  { level: 'info', vassal: 'web', instance: 0, state: 'STARTING', pid: 41, code: null, signal: null, message: undefined, from: 'STOPPED' },
  { level: 'info', vassal: 'db', instance: 2, state: 'RUNNING', pid: 42, code: null, signal: null, message: undefined, from: 'STARTING' },
  { level: 'warn', vassal: 'web', instance: 0, state: 'BACKOFF', pid: 41, code: 1, signal: null, message: 'exited too quickly', from: 'STARTING' },
  { level: 'info', vassal: 'web', instance: 0, state: 'EXITED', pid: 41, code: null, signal: 'SIGTERM', message: undefined, from: 'STOPPING' },
  { level: 'error', vassal: 'bad', state: 'INVALID', message: '/v/bad.ini:2: unknown key' },
  { level: 'info', vassal: 'web', instance: 1, state: 'RUNNING', pid: 43, code: null, signal: null, message: 'x'.repeat(100), from: 'STARTING' },
];

test('every record reads back as written, keys in order, with its time', () => {
  for (const [i, record] of RECORDS.entries()) {
    const back = unpackEvent(packEvent(record), 1_765_000_000_000 + i + 0.5);
    const expected = as(record, 1_765_000_000_000 + i + 0.5);
    assert.deepEqual(back, expected);
    assert.deepEqual(Object.keys(back), Object.keys(expected as object));
    assert.equal(JSON.stringify(back), JSON.stringify(expected));
  }
});

test('records of one shape share one template; each keeps its own values', () => {
  const a = packEvent(RECORDS[2] as EventRecord);
  const b = packEvent({ ...(RECORDS[2] as EventRecord), vassal: 'other', pid: 99 });
  assert.notEqual(a, RECORDS[2], 'packed');
  assert.equal((a as { template: unknown }).template, (b as { template: unknown }).template);
  assert.equal(unpackEvent(b, 1).vassal, 'other');
  assert.equal(unpackEvent(a, 1).vassal, 'web');
});

test('a short record is kept as written', () => {
  const r = RECORDS[0] as EventRecord;
  assert.equal(packEvent(r), r);
});
