// The smart-attached daemon's watch as a table: every (phase, event) pair, then the cases the git
// history of src/runtime/daemon.ts fixed, each a row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decide,
  initialWatch,
  SWEEP_POLL_MS,
  WAIT_POLL_MS,
  WATCH_EVENTS,
  WATCH_PHASES,
  type Launch,
  type WatchContext,
  type WatchEffect,
  type WatchEvent,
  type WatchState,
} from '../../src/core/daemon-watch.ts';
import { MAX_PIDFILE_DELAY_MS, type DaemonIdentity } from '../../src/core/daemon-watch-judge.ts';

const CTX: WatchContext = { name: 'redis', pidfile: '/run/redis.pid', uid: 1000, emperorPid: 50, foreground: false, startTimeoutMs: 10_000, stopSignal: 'SIGTERM', stopTimeoutMs: 5000 };
const T0 = 1_700_000_000_000;
const LAUNCH: Launch = { launcher: 200, launchedMs: T0, deadline: T0 + 10_000, stale: null };
/** The daemon the launch started: after the launch, as the vassal's uid. */
const OURS: DaemonIdentity = { pid: 300, startTicks: 5000, startMs: T0 + 20, uid: 1000, name: 'redis-server' };
const PIDFILE = { ok: true as const, pid: 300, mtimeMs: T0 + 30 };
const MISSING = { ok: false as const, missing: true, message: 'pidfile /run/redis.pid does not exist' };

type Phase = (typeof WATCH_PHASES)[number];
type EventType = (typeof WATCH_EVENTS)[number];

const STATES: Record<Phase, WatchState> = {
  idle: initialWatch,
  launching: { phase: 'launching', stale: null },
  waiting: { phase: 'waiting', launch: LAUNCH, last: 'the pidfile never appeared', launcherExit: null },
  expiring: { phase: 'expiring', launch: LAUNCH, last: 'the pidfile never appeared', launcherExit: null },
  adopted: { phase: 'adopted', launch: LAUNCH },
  failed: { phase: 'failed', launch: LAUNCH },
  sweeping: { phase: 'sweeping', launch: LAUNCH },
  'stopping-stray': { phase: 'stopping-stray', stray: OURS },
  done: { phase: 'done' },
};

/** One event of each type: the daemon is there and is ours wherever it is read. */
const EVENTS: Record<EventType, WatchEvent> = {
  begin: { type: 'begin', reading: { ...PIDFILE, mtimeMs: OURS.startMs + 100 }, id: OURS, record: null, bootMs: T0 - 1e6 },
  launched: { type: 'launched', pid: 200, launchedMs: T0 },
  'launcher-exit': { type: 'launcher-exit', code: 0, signal: null },
  poll: { type: 'poll', reading: PIDFILE, id: OURS, now: T0 + 100 },
  launcher: { type: 'launcher', alive: true },
  cancel: { type: 'cancel', stopDaemon: true },
  sweep: { type: 'sweep', reading: PIDFILE, id: OURS, now: T0 + 100 },
  'stray-timeout': { type: 'stray-timeout', id: OURS },
};

type Expect = 'ignored' | { state: WatchState; effects: WatchEffect[] };
const ADOPT_NOTE = `adopted the running daemon pid 300 (redis-server) named by /run/redis.pid`;
const STOPPING_NOTE = 'stopping pid 300 (redis-server), the daemon of a start that was cancelled';
const TIMEOUT = 'the pidfile never appeared within 10 s of the launch; the command was still running in the foreground: it never daemonized (use `command` for a program that stays in the foreground)';
const SWEEP_START: Expect = { state: { phase: 'sweeping', launch: LAUNCH }, effects: [{ type: 'end-launcher', pid: 200 }, { type: 'settle-error', code: 'E_SPAWN_CANCELLED', error: 'start cancelled' }, { type: 'sweep-after', ms: 0 }] };
const SWEEP_AFTER_SETTLED: Expect = { state: { phase: 'sweeping', launch: LAUNCH }, effects: [{ type: 'end-launcher', pid: 200 }, { type: 'sweep-after', ms: 0 }] };

/** Every phase x every event type. */
const TABLE: Record<Phase, Record<EventType, Expect>> = {
  idle: {
    begin: { state: { phase: 'done' }, effects: [{ type: 'note', message: ADOPT_NOTE }, { type: 'adopt', id: OURS }] },
    launched: 'ignored', 'launcher-exit': 'ignored', poll: 'ignored', launcher: 'ignored', cancel: 'ignored', sweep: 'ignored', 'stray-timeout': 'ignored',
  },
  launching: {
    begin: 'ignored',
    launched: { state: { phase: 'waiting', launch: LAUNCH, last: 'the pidfile never appeared', launcherExit: null }, effects: [{ type: 'track', pid: 200 }, { type: 'poll-after', ms: 0 }] },
    'launcher-exit': 'ignored', poll: 'ignored', launcher: 'ignored', cancel: 'ignored', sweep: 'ignored', 'stray-timeout': 'ignored',
  },
  waiting: {
    begin: 'ignored', launched: 'ignored',
    'launcher-exit': { state: { ...STATES.waiting, launcherExit: 'exited with code 0' } as WatchState, effects: [] },
    poll: { state: { phase: 'adopted', launch: LAUNCH }, effects: [{ type: 'untrack', pid: 200 }, { type: 'adopt', id: OURS }] },
    launcher: 'ignored',
    cancel: SWEEP_START,
    sweep: 'ignored', 'stray-timeout': 'ignored',
  },
  expiring: {
    begin: 'ignored', launched: 'ignored',
    'launcher-exit': { state: { ...STATES.expiring, launcherExit: 'exited with code 0' } as WatchState, effects: [] },
    poll: 'ignored',
    launcher: { state: { phase: 'failed', launch: LAUNCH }, effects: [{ type: 'end-launcher', pid: 200 }, { type: 'settle-error', code: 'E_PIDFILE_TIMEOUT', error: TIMEOUT }] },
    cancel: SWEEP_START,
    sweep: 'ignored', 'stray-timeout': 'ignored',
  },
  adopted: { begin: 'ignored', launched: 'ignored', 'launcher-exit': 'ignored', poll: 'ignored', launcher: 'ignored', cancel: SWEEP_AFTER_SETTLED, sweep: 'ignored', 'stray-timeout': 'ignored' },
  failed: { begin: 'ignored', launched: 'ignored', 'launcher-exit': 'ignored', poll: 'ignored', launcher: 'ignored', cancel: SWEEP_AFTER_SETTLED, sweep: 'ignored', 'stray-timeout': 'ignored' },
  sweeping: {
    begin: 'ignored', launched: 'ignored', 'launcher-exit': 'ignored', poll: 'ignored', launcher: 'ignored', cancel: 'ignored',
    sweep: { state: { phase: 'stopping-stray', stray: OURS }, effects: [{ type: 'note', message: STOPPING_NOTE }, { type: 'signal', pid: 300, signal: 'SIGTERM' }, { type: 'stray-timer', ms: 5000 }] },
    'stray-timeout': 'ignored',
  },
  'stopping-stray': {
    begin: 'ignored', launched: 'ignored', 'launcher-exit': 'ignored', poll: 'ignored', launcher: 'ignored', cancel: 'ignored', sweep: 'ignored',
    'stray-timeout': { state: { phase: 'done' }, effects: [{ type: 'signal', pid: 300, signal: 'SIGKILL' }] },
  },
  done: { begin: 'ignored', launched: 'ignored', 'launcher-exit': 'ignored', poll: 'ignored', launcher: 'ignored', cancel: 'ignored', sweep: 'ignored', 'stray-timeout': 'ignored' },
};

test('the table names every phase x every event type', () => {
  assert.deepEqual(Object.keys(TABLE).sort(), [...WATCH_PHASES].sort());
  for (const phase of WATCH_PHASES) assert.deepEqual(Object.keys(TABLE[phase]).sort(), [...WATCH_EVENTS].sort(), phase);
  assert.deepEqual(Object.keys(EVENTS).sort(), [...WATCH_EVENTS].sort());
  for (const phase of WATCH_PHASES) assert.equal(STATES[phase].phase, phase);
});

for (const phase of WATCH_PHASES) {
  for (const type of WATCH_EVENTS) {
    test(`${phase} + ${type}`, () => {
      const before = structuredClone(STATES[phase]);
      const ev = structuredClone(EVENTS[type]);
      const got = decide(STATES[phase], EVENTS[type], CTX);
      const want = TABLE[phase][type];
      if (want === 'ignored') {
        assert.equal(got.state, STATES[phase], 'the same state object');
        assert.deepEqual(got.effects, []);
      } else {
        assert.deepEqual(got, want);
      }
      assert.deepEqual(STATES[phase], before, 'the state is not mutated');
      assert.deepEqual(EVENTS[type], ev, 'the event is not mutated');
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Rows from the history: each names the commit of src/runtime/daemon.ts that fixed or added it.
// ---------------------------------------------------------------------------------------------

const begin = (over: Partial<Extract<WatchEvent, { type: 'begin' }>>) => decide(initialWatch, { ...(EVENTS.begin as Extract<WatchEvent, { type: 'begin' }>), ...over }, CTX);

test('f0d01ae: a pidfile naming pid 1, the emperor, another uid, a reused pid or an older process is left alone, and the command launched', () => {
  const mtime = OURS.startMs + 100;
  const rows: Array<[string, Partial<Extract<WatchEvent, { type: 'begin' }>>, string]> = [
    ['pid 1', { id: { ...OURS, pid: 1 } }, 'it is pid 1'],
    ['the emperor', { id: { ...OURS, pid: 50 } }, 'it is the emperor itself'],
    ['another uid', { id: { ...OURS, uid: 0 } }, 'it runs as uid 0, not 1000'],
    ['a reused pid', { reading: { ...PIDFILE, mtimeMs: OURS.startMs - 1000 } }, 'it started after the pidfile was written (a reused pid)'],
    ['an older process', { reading: { ...PIDFILE, mtimeMs: OURS.startMs + MAX_PIDFILE_DELAY_MS + 5000 } }, `it started ${Math.round((MAX_PIDFILE_DELAY_MS + 5000) / 1000)} s before the pidfile was written: an unrelated older process`],
  ];
  for (const [label, over, why] of rows) {
    const got = begin(over);
    const pid = (over.id ?? OURS).pid;
    const mtimeMs = over.reading?.ok === true ? over.reading.mtimeMs : mtime;
    assert.deepEqual(got.state, { phase: 'launching', stale: { pid: 300, mtimeMs } }, label);
    const note = `pidfile /run/redis.pid names pid ${pid} (redis-server), which is not this daemon: ${why}; it is left alone`;
    assert.deepEqual(got.effects, [{ type: 'note', message: note }, { type: 'launch' }], label);
  }
});

test('f0d01ae: no pidfile, or one naming a dead pid, launches (the dead pid is stale)', () => {
  assert.deepEqual(begin({ reading: MISSING, id: null }), { state: { phase: 'launching', stale: null }, effects: [{ type: 'launch' }] });
  assert.deepEqual(begin({ id: null }), { state: { phase: 'launching', stale: { pid: 300, mtimeMs: OURS.startMs + 100 } }, effects: [{ type: 'launch' }] });
});

test('a8254de: a record from this boot adopts the very process recorded, even with an old pidfile; from another boot it does not', () => {
  const old = { reading: { ...PIDFILE, mtimeMs: OURS.startMs + MAX_PIDFILE_DELAY_MS * 3 } };
  const record = { pid: 300, startTicks: OURS.startTicks, bootMs: T0 - 1e6 };
  assert.equal(begin({ ...old, record, bootMs: T0 - 1e6 + 500 }).state.phase, 'done');
  assert.equal(begin({ ...old, record, bootMs: T0 - 1e6 + 500 }).effects[1]?.type, 'adopt');
  assert.equal(begin({ ...old, record, bootMs: T0 }).state.phase, 'launching', 'another boot');
  assert.equal(begin({ ...old, record: { ...record, startTicks: 1 }, bootMs: T0 - 1e6 }).state.phase, 'launching', 'another start: a reused pid');
});

const waiting = (over: Partial<Extract<WatchState, { phase: 'waiting' }>> = {}): Extract<WatchState, { phase: 'waiting' }> => ({ ...(STATES.waiting as Extract<WatchState, { phase: 'waiting' }>), ...over });

test('72bf8f9: a stale pidfile the command never rewrote is never the launch\'s daemon, and the error says so', () => {
  const stale = { pid: 300, mtimeMs: T0 - 5000 };
  const s = waiting({ launch: { ...LAUNCH, stale } });
  const got = decide(s, { type: 'poll', reading: { ok: true, pid: 300, mtimeMs: T0 - 5000 }, id: OURS, now: T0 + 100 }, CTX);
  assert.deepEqual(got.effects, [{ type: 'poll-after', ms: WAIT_POLL_MS }]);
  assert.equal((got.state as typeof s).last, 'pidfile /run/redis.pid still names pid 300, which is not this daemon (the command never rewrote it)');
  const rewritten = decide(s, { type: 'poll', reading: { ok: true, pid: 300, mtimeMs: T0 + 30 }, id: OURS, now: T0 + 100 }, CTX);
  assert.equal(rewritten.state.phase, 'adopted', 'the same pid rewritten after the launch is adopted');
});

test('f0d01ae: while waiting, a pid that is not running or not the launch\'s process is noted, polling on until the deadline', () => {
  const dead = decide(waiting(), { type: 'poll', reading: PIDFILE, id: null, now: T0 + 100 }, CTX);
  assert.equal((dead.state as ReturnType<typeof waiting>).last, 'pidfile /run/redis.pid names pid 300, which is not running');
  const before = decide(waiting(), { type: 'poll', reading: PIDFILE, id: { ...OURS, startMs: T0 - 1000 }, now: T0 + 100 }, CTX);
  assert.equal((before.state as ReturnType<typeof waiting>).last, 'pidfile /run/redis.pid names pid 300 (redis-server), which is not the process this launch started');
  const garbage = decide(waiting(), { type: 'poll', reading: { ok: false, missing: false, message: 'pidfile /run/redis.pid does not hold a pid: "x"' }, id: null, now: T0 + 100 }, CTX);
  assert.equal((garbage.state as ReturnType<typeof waiting>).last, 'pidfile /run/redis.pid does not hold a pid: "x"');
  for (const g of [dead, before, garbage]) assert.deepEqual(g.effects, [{ type: 'poll-after', ms: WAIT_POLL_MS }]);
  const late = decide(waiting(), { type: 'poll', reading: MISSING, id: null, now: LAUNCH.deadline }, CTX);
  assert.deepEqual(late, { state: { ...waiting(), phase: 'expiring', last: MISSING.message }, effects: [{ type: 'check-launcher', pid: 200 }] });
});

test('f0d01ae: the timeout error says what the command did: never daemonized, exited, or was killed', () => {
  const expiring = (launcherExit: string | null): WatchState => ({ phase: 'expiring', launch: LAUNCH, last: MISSING.message, launcherExit });
  const err = (s: WatchState, alive: boolean): string => {
    const e = decide(s, { type: 'launcher', alive }, CTX).effects.find((x) => x.type === 'settle-error');
    return e?.type === 'settle-error' ? e.error : '';
  };
  assert.equal(err(expiring(null), false), `${MISSING.message} within 10 s of the launch`);
  assert.match(err(expiring(null), true), /it never daemonized/);
  assert.equal(err(expiring('exited with code 3'), false), `${MISSING.message} within 10 s of the launch; the command exited with code 3`);
  const killed = decide(waiting(), { type: 'launcher-exit', code: null, signal: 'SIGSEGV' }, CTX).state;
  assert.equal((killed as ReturnType<typeof waiting>).launcherExit, 'killed by SIGSEGV');
  assert.match(err({ ...killed, phase: 'expiring' } as WatchState, true), /; the command killed by SIGSEGV$/, 'an exited launcher is no foreground command even if its group lives');
});

test('e0a11d2: a cancel during shutdown ends the launcher and leaves a daemon that appears to the next emperor', () => {
  assert.deepEqual(decide(waiting(), { type: 'cancel', stopDaemon: false }, CTX), {
    state: { phase: 'done' },
    effects: [{ type: 'end-launcher', pid: 200 }, { type: 'settle-error', code: 'E_SPAWN_CANCELLED', error: 'start cancelled' }],
  });
});

test('e0a11d2: after a cancel the sweep stops only the launch\'s daemon, looking until the deadline', () => {
  const s: WatchState = { phase: 'sweeping', launch: { ...LAUNCH, stale: { pid: 300, mtimeMs: T0 - 5000 } } };
  const stale = decide(s, { type: 'sweep', reading: { ok: true, pid: 300, mtimeMs: T0 - 5000 }, id: OURS, now: T0 + 100 }, CTX);
  assert.deepEqual(stale, { state: s, effects: [{ type: 'sweep-after', ms: SWEEP_POLL_MS }] }, 'the stale pidfile names no daemon of ours');
  const older = decide(s, { type: 'sweep', reading: PIDFILE, id: { ...OURS, startMs: T0 - 10_000 }, now: T0 + 100 }, CTX);
  assert.equal(older.state.phase, 'sweeping', 'a process older than the launch is not ours');
  const otherUid = decide(s, { type: 'sweep', reading: PIDFILE, id: { ...OURS, uid: 0 }, now: T0 + 100 }, CTX);
  assert.equal(otherUid.state.phase, 'sweeping');
  const past = decide(s, { type: 'sweep', reading: MISSING, id: null, now: LAUNCH.deadline }, CTX);
  assert.deepEqual(past, { state: { phase: 'done' }, effects: [] }, 'the sweep ends at the deadline');
});

test('e0a11d2: a stray that exited, or whose pid was reused, gets no SIGKILL', () => {
  const s = STATES['stopping-stray'];
  assert.deepEqual(decide(s, { type: 'stray-timeout', id: null }, CTX), { state: { phase: 'done' }, effects: [] });
  assert.deepEqual(decide(s, { type: 'stray-timeout', id: { ...OURS, startTicks: 9999 } }, CTX), { state: { phase: 'done' }, effects: [] });
});

test('72bf8f9: smart-attach-daemon2 (the emperor writes the pidfile) tracks the launcher and waits for nothing', () => {
  const got = decide({ phase: 'launching', stale: null }, EVENTS.launched, { ...CTX, foreground: true });
  assert.deepEqual(got, { state: { phase: 'done' }, effects: [{ type: 'track', pid: 200 }] });
});
