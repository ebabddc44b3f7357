// The event ring stays bounded; a stream replays, then follows, filters by name, and drops a slow client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLog } from '../../src/runtime/event-log.ts';
import { EventRing, recordEvents } from '../../src/runtime/event-ring.ts';
import { concerns, followEvents, type EventSink } from '../../src/control/event-stream.ts';
import type { StreamEvent } from '../../src/control/protocol.ts';

const ev = (time: number, vassal?: string, state?: string): StreamEvent => ({ time, level: 'info', ...(vassal !== undefined ? { vassal } : {}), ...(state !== undefined ? { state } : {}) });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function sink(backlog: () => number = () => 0): EventSink & { got: StreamEvent[]; notes: string[]; closers: Array<() => void> } {
  const got: StreamEvent[] = [];
  const notes: string[] = [];
  const closers: Array<() => void> = [];
  return { got, notes, closers, send: (e) => got.push(e), backlog, drop: (n) => notes.push(n), onClose: (fn) => closers.push(fn) };
}

test('the ring keeps the newest `capacity` events, oldest first, and filters by time', () => {
  const ring = new EventRing(3);
  for (let t = 1; t <= 5; t++) ring.push(ev(t, 'a'));
  assert.deepEqual(ring.recent(0).map((e) => e.time), [3, 4, 5]);
  assert.deepEqual(ring.recent(4).map((e) => e.time), [4, 5]);
  assert.deepEqual(new EventRing(3).recent(0), []);
});

test('the ring is fed by the event log, with the time and the state left', () => {
  const log = new EventLog('text', () => {});
  const ring = recordEvents(log, 10);
  log.write({ level: 'info', vassal: 'web', instance: 0, state: 'RUNNING', from: 'STARTING', pid: 7 });
  const [got] = ring.recent(0);
  assert.equal(got?.state, 'RUNNING');
  assert.equal(got?.from, 'STARTING');
  assert.ok(Math.abs((got?.time ?? 0) - Date.now()) < 1000);
});

test('a stream replays since a time, holds live events until the next turn, then follows in order', async () => {
  const ring = new EventRing(10);
  ring.push(ev(1, 'web', 'STARTING'));
  ring.push(ev(2, 'db', 'STARTING'));
  ring.push(ev(3, 'web', 'RUNNING'));
  const s = sink();
  followEvents(ring, s, new Set(['web']), 2);
  ring.push(ev(4, 'web', 'EXITED'));
  assert.equal(s.got.length, 0, 'nothing before the reply that opens the stream');
  await turn();
  assert.deepEqual(s.got.map((e) => e.time), [3, 4]);
  ring.push(ev(5, 'db'));
  ring.push(ev(6, 'web'));
  assert.deepEqual(s.got.map((e) => e.time), [3, 4, 6]);
});

test('without --since only new events; an emperor event reaches only unfiltered streams', async () => {
  assert.equal(concerns(ev(1), new Set()), true);
  assert.equal(concerns(ev(1), new Set(['web'])), false);
  const ring = new EventRing(10);
  ring.push(ev(1, 'web'));
  const s = sink();
  followEvents(ring, s, new Set(), null);
  await turn();
  assert.deepEqual(s.got, []);
});

test('a client that does not read is dropped with a note, and unsubscribed', async () => {
  const ring = new EventRing(10);
  let waiting = 0;
  const s = sink(() => waiting);
  followEvents(ring, s, new Set(), null, 1000);
  await turn();
  ring.push(ev(1));
  waiting = 5000;
  ring.push(ev(2));
  ring.push(ev(3));
  assert.deepEqual(s.got.map((e) => e.time), [1]);
  assert.equal(s.notes.length, 1);
  assert.match(s.notes[0] ?? '', /read too slowly: 5000 bytes were waiting; dropped/);
});

test('a closed client is unsubscribed', async () => {
  const ring = new EventRing(10);
  const s = sink();
  followEvents(ring, s, new Set(), null);
  await turn();
  for (const c of s.closers) c();
  ring.push(ev(1));
  assert.deepEqual(s.got, []);
});
