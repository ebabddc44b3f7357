// The alarm decisions: every (track situation, input) pair written out, then the flapping window and the classifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alarmStep, INITIAL_ALARM_STATE, trackOf, type AlarmInput, type AlarmPolicy, type AlarmState, type AlarmTrack } from '../../src/core/alarm-machine.ts';
import { classifyEvent } from '../../src/core/alarm-classify.ts';

const POLICY: AlarmPolicy = { intervalMs: 60_000, flapping: null };
const NOW = 1_000_000;
const V = 'web';

const SITUATIONS: Readonly<Record<string, AlarmTrack>> = {
  idle: { active: false, announced: false, lastSentAt: null, held: 0 },
  'idle, sent lately': { active: false, announced: false, lastSentAt: NOW - 1000, held: 2 },
  'announced, lately': { active: true, announced: true, lastSentAt: NOW - 1000, held: 3 },
  'announced, long ago': { active: true, announced: true, lastSentAt: NOW - 60_000, held: 3 },
  'active, held back': { active: true, announced: false, lastSentAt: NOW - 1000, held: 1 },
};

type Input = 'raise' | 'clear' | 'failed-start' | 'forget';
const input = (type: Input): AlarmInput =>
  type === 'forget' ? { type, vassal: V } : type === 'failed-start' ? { type, vassal: V, message: 'm', now: NOW } : { type, vassal: V, event: 'fatal', message: 'm', now: NOW };

// [situation, input] -> [effect ('send alarm N' | 'send recovery N' | 'held' | '-'), the track after]
const TABLE: ReadonlyArray<[string, Input, string, Partial<AlarmTrack> | 'gone']> = [
  ['idle', 'raise', 'send alarm 0', { active: true, announced: true, lastSentAt: NOW, held: 0 }],
  ['idle', 'clear', '-', { active: false, announced: false }],
  ['idle', 'failed-start', '-', { active: false }],
  ['idle', 'forget', '-', 'gone'],
  ['idle, sent lately', 'raise', 'held', { active: true, announced: false, held: 3 }],
  ['idle, sent lately', 'clear', '-', { active: false, held: 2 }],
  ['idle, sent lately', 'failed-start', '-', { held: 2 }],
  ['idle, sent lately', 'forget', '-', 'gone'],
  ['announced, lately', 'raise', 'held', { active: true, announced: true, held: 4 }],
  ['announced, lately', 'clear', 'send recovery 3', { active: false, announced: false, held: 0 }],
  ['announced, lately', 'failed-start', '-', { active: true, held: 3 }],
  ['announced, lately', 'forget', '-', 'gone'],
  ['announced, long ago', 'raise', 'send alarm 3', { active: true, announced: true, lastSentAt: NOW, held: 0 }],
  ['announced, long ago', 'clear', 'send recovery 3', { active: false, announced: false, held: 0 }],
  ['announced, long ago', 'failed-start', '-', { active: true }],
  ['announced, long ago', 'forget', '-', 'gone'],
  ['active, held back', 'raise', 'held', { active: true, announced: false, held: 2 }],
  ['active, held back', 'clear', '-', { active: false, announced: false, held: 1 }],
  ['active, held back', 'failed-start', '-', { active: true, held: 1 }],
  ['active, held back', 'forget', '-', 'gone'],
];

test('the table covers every (situation, input) pair once', () => {
  const pairs = TABLE.map(([s, i]) => `${s}|${i}`);
  assert.equal(new Set(pairs).size, pairs.length);
  assert.equal(pairs.length, Object.keys(SITUATIONS).length * 4);
});

for (const [situation, type, effect, after] of TABLE) {
  test(`alarm machine: ${situation} + ${type} -> ${effect}`, () => {
    const start: AlarmState = { tracks: new Map([[`${V}\u0000fatal`, SITUATIONS[situation] as AlarmTrack]]), failedStarts: new Map() };
    const step = alarmStep(start, input(type), POLICY);
    const shown = step.effects.map((e) => (e.type === 'send' ? `send ${e.kind} ${e.heldBack}` : e.type));
    assert.deepEqual(shown, effect === '-' ? [] : [effect]);
    if (after === 'gone') {
      assert.equal(step.state.tracks.size, 0);
      return;
    }
    const t = trackOf(step.state, V, 'fatal');
    for (const [k, v] of Object.entries(after)) assert.equal(t[k as keyof AlarmTrack], v, k);
  });
}

test('a restart is a point event: sent, then held within the interval, never owed a recovery', () => {
  let s = INITIAL_ALARM_STATE;
  const raise = (now: number): string[] => {
    const step = alarmStep(s, { type: 'raise', vassal: V, event: 'restart', message: 'over max-rss', now }, POLICY);
    s = step.state;
    return step.effects.map((e) => e.type);
  };
  assert.deepEqual(raise(0), ['send']);
  assert.deepEqual(raise(10_000), ['held']);
  assert.deepEqual(alarmStep(s, { type: 'clear', vassal: V, event: 'restart', message: '', now: 20_000 }, POLICY).effects, []);
  assert.deepEqual(raise(70_000), ['send']);
});

test('flapping: N failed starts within the window raise it, older ones fall out, RUNNING recovers it', () => {
  const policy: AlarmPolicy = { intervalMs: 60_000, flapping: { count: 3, windowMs: 10_000 } };
  let s = INITIAL_ALARM_STATE;
  const fail = (now: number): string[] => {
    const step = alarmStep(s, { type: 'failed-start', vassal: V, message: 'exited with code 1', now }, policy);
    s = step.state;
    return step.effects.map((e) => (e.type === 'send' ? `${e.kind} ${e.event}` : e.type));
  };
  assert.deepEqual(fail(0), []);
  assert.deepEqual(fail(5000), []);
  assert.deepEqual(fail(11_000), [], 'the first fell out of the window');
  assert.deepEqual(fail(12_000), ['alarm flapping']);
  assert.deepEqual(fail(13_000), ['held']);
  const rec = alarmStep(s, { type: 'clear', vassal: V, event: 'flapping', message: 'RUNNING', now: 20_000 }, policy);
  assert.deepEqual(rec.effects.map((e) => (e.type === 'send' ? `${e.kind} ${e.heldBack}` : e.type)), ['recovery 1']);
  assert.deepEqual(alarmStep(INITIAL_ALARM_STATE, { type: 'failed-start', vassal: V, message: '', now: 0 }, POLICY).effects, [], 'no flapping without alarm-flapping');
});

test('the classifier reads the event lines the emperor writes', () => {
  const kinds = (ev: Parameters<typeof classifyEvent>[0]): string[] => classifyEvent(ev, 5).map((i) => (i.type === 'raise' || i.type === 'clear' ? `${i.type} ${i.event}` : i.type));
  assert.deepEqual(kinds({ vassal: V, instance: 0, state: 'FATAL', from: 'STARTING', message: 'gave up' }), ['raise fatal', 'failed-start']);
  assert.deepEqual(kinds({ vassal: V, instance: 0, state: 'BACKOFF', from: 'STARTING' }), ['failed-start']);
  assert.deepEqual(kinds({ vassal: V, instance: 0, state: 'RUNNING', from: 'STARTING' }), ['clear fatal', 'clear flapping']);
  assert.deepEqual(kinds({ vassal: V, instance: 0, state: 'STOPPED', from: 'FATAL' }), ['clear fatal', 'clear flapping']);
  assert.deepEqual(kinds({ vassal: V, state: 'INVALID', message: 'web.ini:3: bad' }), ['raise invalid']);
  assert.deepEqual(kinds({ vassal: V, message: 'file changed (restart): /x/web.ini' }), ['clear invalid']);
  assert.deepEqual(kinds({ vassal: V, instance: 0, message: 'health check failed (1 of 3): refused' }), ['raise health']);
  assert.deepEqual(kinds({ vassal: V, instance: 0, message: 'health check passing again' }), ['clear health']);
  assert.deepEqual(kinds({ vassal: V, instance: 0, state: 'STOPPING', from: 'RUNNING', message: 'using 600 MB of resident memory, over max-rss 512 MB: restarted' }), ['raise restart']);
  // The watchdog restart line as src/core/lifecycle-ready.ts writes it.
  assert.deepEqual(kinds({ vassal: V, instance: 0, state: 'STOPPING', from: 'RUNNING', message: 'watchdog fired: no WATCHDOG=1 for 1s; restarted with SIGABRT' }), ['raise restart']);
  assert.deepEqual(kinds({ vassal: V, message: 'log lines dropped: ENOSPC; counting them' }), ['raise log-dropped']);
  assert.deepEqual(kinds({ vassal: V, message: 'log /x is writable again' }), ['clear log-dropped']);
  assert.deepEqual(kinds({ vassal: V, message: 'removed' }), ['forget']);
  assert.deepEqual(kinds({ message: 'emperor started' }), []);
});
