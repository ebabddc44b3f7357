import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GROUP_POLL_MS,
  MIN_STABLE_MS,
  initialInstance,
  transition,
  type Effect,
  type Instance,
  type LifecycleContext,
  type LifecycleEvent,
  type LifecyclePolicy,
  type TimerName,
} from '../../src/core/lifecycle.ts';
import { backoffDelay } from '../../src/core/backoff.ts';
import type { InstanceStateName } from '../../src/core/states.ts';
import { POLICY, Sim } from './lifecycle-sim.ts';

// ---------------------------------------------------------------------------------------------
// The table: every (situation, event) pair, expected values written out by hand.
// ---------------------------------------------------------------------------------------------

const NOW = 100_000;

// The table's vassal has a health check: RUNNING needs start-secs and a first pass.
const TABLE_POLICY: LifecyclePolicy = {
  restart: 'always',
  exitCodes: [0],
  startSecs: 1000,
  startRetries: 3,
  backoff: 1000,
  backoffMax: 60_000,
  stopSignal: 'SIGTERM',
  stopTimeout: 10_000,
  healthCheck: true,
  healthRetries: 3,
};

// random 0.5 means no jitter: the second failed start in a row waits exactly 2 s.
const TABLE_CTX: LifecycleContext = { now: NOW, random: 0.5, policy: TABLE_POLICY };

function instance(fields: Partial<Instance>): Instance {
  return { ...initialInstance(), ...fields };
}

const STARTING_ERROR = 'exited with code 1 0.2s after start';
const NOT_PASSING_YET = 'health check not passing yet: HTTP 503';
/** why an earlier recovery happened; kept until someone starts or restarts the instance. */
const OLD_RECOVERY = 'health check failed 3 times in a row (connection refused): restarted';
const HEALTH_RECOVERY = 'health check failed 3 times in a row (HTTP 503): restarted';
const MIB = 1024 * 1024;
const MEMORY_RECOVERY = 'using 600 MB of resident memory, over max-rss 512 MB: restarted';
const START_TIMED_OUT = 'not ready 30s after start (start-timeout): it never said it was ready';
const WATCHDOG_FIRED = 'watchdog fired: no WATCHDOG=1 for 2s; restarted with SIGABRT';
const ASKED_TO_STOP = 'uWSGI 22: the vassal asked to be stopped: stopping it; it stays EXITED until its file changes or `emperorctl start`';
/** A vassal that announces readiness (READY=1) and owes WATCHDOG=1 every 2 s, without a health check. */
const ANNOUNCING: Partial<LifecyclePolicy> = {
  healthCheck: false,
  readiness: 'announce',
  startTimeout: 30_000,
  watchdog: 2000,
  watchdogSignal: 'SIGABRT',
  watchdogAtReady: true,
};

/** One representative instance per state, plus the sub-cases a state hides (no pid yet, leader gone, health...). */
const SITUATIONS = {
  STOPPED: instance({ state: 'STOPPED', restarts: 2, lastExit: { code: 0, signal: null, at: 50_000 }, recovery: OLD_RECOVERY }),
  STARTING: instance({
    state: 'STARTING',
    pid: 100,
    spawnedAt: 99_500,
    failures: 1,
    restarts: 2,
    lastExit: { code: 1, signal: null, at: 97_000 },
    error: STARTING_ERROR,
  }),
  // The same instance, for a vassal without a health check (the only situation with another policy).
  'STARTING, no health check': instance({
    state: 'STARTING',
    pid: 100,
    spawnedAt: 99_500,
    failures: 1,
    restarts: 2,
    lastExit: { code: 1, signal: null, at: 97_000 },
    error: STARTING_ERROR,
  }),
  'STARTING, spawn pending': instance({
    state: 'STARTING',
    failures: 1,
    restarts: 2,
    lastExit: { code: 1, signal: null, at: 97_000 },
    error: STARTING_ERROR,
  }),
  // A probe passed before start-secs was up.
  'STARTING, health passed': instance({
    state: 'STARTING',
    pid: 100,
    spawnedAt: 99_500,
    failures: 1,
    restarts: 2,
    lastExit: { code: 1, signal: null, at: 97_000 },
    healthPassed: true,
  }),
  // Up for start-secs, but the probes have not passed yet.
  'STARTING, start-secs done': instance({
    state: 'STARTING',
    pid: 100,
    spawnedAt: 98_000,
    failures: 1,
    restarts: 2,
    lastExit: { code: 1, signal: null, at: 97_000 },
    startSecsDone: true,
    healthFailures: 2,
    error: 'health check not passing yet: connection refused',
  }),
  RUNNING: instance({
    state: 'RUNNING',
    pid: 100,
    spawnedAt: 90_000,
    restarts: 2,
    startSecsDone: true,
    healthPassed: true,
    recovery: OLD_RECOVERY,
  }),
  // health-retries - 1 failures in a row so far.
  'RUNNING, health failing': instance({
    state: 'RUNNING',
    pid: 100,
    spawnedAt: 90_000,
    restarts: 2,
    startSecsDone: true,
    healthPassed: true,
    healthFailures: 2,
  }),
  BACKOFF: instance({
    state: 'BACKOFF',
    spawnedAt: 98_000,
    failures: 1,
    restarts: 2,
    lastExit: { code: 1, signal: null, at: 98_200 },
    backoffUntil: 100_500,
    error: STARTING_ERROR,
    healthFailures: 2,
    recovery: OLD_RECOVERY,
  }),
  STOPPING: instance({ state: 'STOPPING', pid: 100, spawnedAt: 90_000, restarts: 2, startSecsDone: true, healthPassed: true }),
  'STOPPING, leader gone': instance({
    state: 'STOPPING',
    spawnedAt: 90_000,
    restarts: 2,
    lastExit: { code: null, signal: 'SIGTERM', at: 99_900 },
    startSecsDone: true,
    healthPassed: true,
  }),
  // A stop the emperor decided (health-retries failures in a row): it leads to a counted respawn.
  'STOPPING, recovering': instance({
    state: 'STOPPING',
    pid: 100,
    spawnedAt: 90_000,
    restarts: 2,
    startSecsDone: true,
    healthPassed: true,
    healthFailures: 3,
    then: 'recover',
    error: HEALTH_RECOVERY,
    recovery: HEALTH_RECOVERY,
  }),
  EXITED: instance({
    state: 'EXITED',
    spawnedAt: 90_000,
    restarts: 2,
    lastExit: { code: 0, signal: null, at: 95_000 },
    startSecsDone: true,
    healthPassed: true,
    recovery: OLD_RECOVERY,
  }),
  FATAL: instance({
    state: 'FATAL',
    spawnedAt: 99_000,
    failures: 3,
    restarts: 2,
    lastExit: { code: 1, signal: null, at: 99_200 },
    error: STARTING_ERROR,
  }),
  // Readiness: a vassal that says when it is ready (notify), with a watchdog; its own policy below.
  'STARTING, announces readiness': instance({ state: 'STARTING', pid: 100, spawnedAt: 99_500, restarts: 2 }),
  'RUNNING, watchdog armed': instance({ state: 'RUNNING', pid: 100, spawnedAt: 90_000, restarts: 2, startSecsDone: true, statusText: 'serving' }),
  // The vassal asked to be stopped (uWSGI's 22): it ends EXITED.
  'STOPPING, asked to stop': instance({ state: 'STOPPING', spawnedAt: 90_000, restarts: 2, startSecsDone: true, then: 'exit' }),
  // start-timeout passed without READY=1: it ends as a failed start.
  'STOPPING, start timed out': instance({ state: 'STOPPING', spawnedAt: 99_500, restarts: 2, then: 'fail', error: START_TIMED_OUT }),
} satisfies Record<string, Instance>;

type Situation = keyof typeof SITUATIONS;

/** Where a situation's policy differs from TABLE_POLICY. */
const SITUATION_POLICY: Partial<Record<Situation, Partial<LifecyclePolicy>>> = {
  'STARTING, no health check': { healthCheck: false },
  'STARTING, announces readiness': ANNOUNCING,
  'RUNNING, watchdog armed': ANNOUNCING,
  'STOPPING, asked to stop': ANNOUNCING,
  'STOPPING, start timed out': ANNOUNCING,
};

const SPAWN_ERROR = 'spawn /usr/bin/nope ENOENT';

/** Every event type, each timer name, with groupAlive true and false where the event has it. */
const EVENTS = {
  start: { type: 'start' },
  stop: { type: 'stop' },
  restart: { type: 'restart' },
  spawned: { type: 'spawned', pid: 200 },
  'spawn-failed': { type: 'spawn-failed', error: SPAWN_ERROR },
  'exited, group alive': { type: 'exited', code: 1, signal: null, groupAlive: true },
  'exited, group gone': { type: 'exited', code: 1, signal: null, groupAlive: false },
  'timer start-secs, group alive': { type: 'timer', timer: 'start-secs', groupAlive: true },
  'timer start-secs, group gone': { type: 'timer', timer: 'start-secs', groupAlive: false },
  'timer backoff, group alive': { type: 'timer', timer: 'backoff', groupAlive: true },
  'timer backoff, group gone': { type: 'timer', timer: 'backoff', groupAlive: false },
  'timer stop-timeout, group alive': { type: 'timer', timer: 'stop-timeout', groupAlive: true },
  'timer stop-timeout, group gone': { type: 'timer', timer: 'stop-timeout', groupAlive: false },
  'timer group-poll, group alive': { type: 'timer', timer: 'group-poll', groupAlive: true },
  'timer group-poll, group gone': { type: 'timer', timer: 'group-poll', groupAlive: false },
  'health passed': { type: 'health', ok: true, message: 'HTTP 200' },
  'health failed': { type: 'health', ok: false, message: 'HTTP 503' },
  'over-memory': { type: 'over-memory', rss: 600 * MIB, limit: 512 * MIB },
  ready: { type: 'ready', how: 'READY=1' },
  'watchdog-ping': { type: 'watchdog-ping' },
  status: { type: 'status', text: 'loading' },
  'stop-requested': { type: 'stop-requested', why: 'uWSGI 22: the vassal asked to be stopped' },
  'extend-timeout': { type: 'extend-timeout', ms: 5000 },
  'timer start-timeout, group alive': { type: 'timer', timer: 'start-timeout', groupAlive: true },
  'timer start-timeout, group gone': { type: 'timer', timer: 'start-timeout', groupAlive: false },
  'timer watchdog, group alive': { type: 'timer', timer: 'watchdog', groupAlive: true },
  'timer watchdog, group gone': { type: 'timer', timer: 'watchdog', groupAlive: false },
} satisfies Record<string, LifecycleEvent>;

type EventName = keyof typeof EVENTS;

/**
 * `'='`: nothing changes and nothing is done. Otherwise the new state, the effects in order, every
 * other field that changes, and (when given) the note for the event log.
 */
type Expected = '=' | { state: InstanceStateName; effects: Effect[]; changes?: Partial<Instance>; note?: string | null };

const SPAWN: Effect = { type: 'spawn' };
const TERM: Effect = { type: 'kill-group', signal: 'SIGTERM' };
const KILL: Effect = { type: 'kill-group', signal: 'SIGKILL' };
const clear = (timer: TimerName): Effect => ({ type: 'clear-timer', timer });
const set = (timer: TimerName, ms: number): Effect => ({ type: 'set-timer', timer, ms });
const EXIT_1 = { code: 1, signal: null, at: NOW };
/** A graceful stop of a live process: what stop, restart and the emperor's own recoveries begin with. */
const GRACEFUL_STOP: Effect[] = [clear('start-secs'), TERM, set('stop-timeout', 10_000)];

const UNCHANGED_BY_TIMERS = {
  'timer start-secs, group alive': '=',
  'timer start-secs, group gone': '=',
  'timer backoff, group alive': '=',
  'timer backoff, group gone': '=',
  'timer stop-timeout, group alive': '=',
  'timer stop-timeout, group gone': '=',
  'timer group-poll, group alive': '=',
  'timer group-poll, group gone': '=',
  'timer start-timeout, group alive': '=',
  'timer start-timeout, group gone': '=',
  'timer watchdog, group alive': '=',
  'timer watchdog, group gone': '=',
} as const satisfies Partial<Record<EventName, Expected>>;

/** What a vassal says only matters while it has a process STARTING or RUNNING (and readiness only if it announces). */
const UNCHANGED_BY_READINESS = {
  ready: '=',
  'watchdog-ping': '=',
  status: '=',
  'stop-requested': '=',
  'extend-timeout': '=',
} as const satisfies Partial<Record<EventName, Expected>>;

/** A live process of a vassal that announces nothing: its STATUS= is kept, and it may ask to stop (ending EXITED). */
function liveWithoutReadiness(state: InstanceStateName, recovery?: null): Record<keyof typeof UNCHANGED_BY_READINESS, Expected> {
  return {
    ...UNCHANGED_BY_READINESS,
    status: { state, effects: [], changes: { statusText: 'loading' }, note: null },
    'stop-requested': {
      state: 'STOPPING',
      effects: [clear('start-secs'), TERM, set('stop-timeout', 10_000)],
      changes: { then: 'exit', error: null, ...(recovery === null ? { recovery } : {}) },
      note: ASKED_TO_STOP,
    },
  };
}

/** Health and memory only matter while a process is STARTING or RUNNING. */
const UNCHANGED_BY_PROBES = {
  'health passed': '=',
  'health failed': '=',
  'over-memory': '=',
  ...UNCHANGED_BY_READINESS,
} as const satisfies Partial<Record<EventName, Expected>>;

const MEMORY_RECOVERS: Expected = {
  state: 'STOPPING',
  effects: GRACEFUL_STOP,
  changes: { then: 'recover', error: MEMORY_RECOVERY, recovery: MEMORY_RECOVERY },
  note: MEMORY_RECOVERY,
};

/** STARTING with a process, start-secs not up, no probe passed yet. */
const STARTING_ROW: Record<EventName, Expected> = {
  start: '=',
  stop: { state: 'STOPPING', effects: GRACEFUL_STOP },
  restart: { state: 'STOPPING', effects: GRACEFUL_STOP, changes: { then: 'start' } },
  spawned: { state: 'STARTING', effects: [set('start-secs', 1000)], changes: { pid: 200, spawnedAt: NOW } },
  'spawn-failed': {
    state: 'BACKOFF',
    effects: [clear('start-secs'), set('backoff', 2000)],
    changes: { pid: null, spawnedAt: null, failures: 2, backoffUntil: NOW + 2000, error: SPAWN_ERROR },
  },
  'exited, group alive': {
    state: 'BACKOFF',
    effects: [KILL, clear('start-secs'), set('backoff', 2000)],
    changes: { pid: null, lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 0.5s after start' },
  },
  'exited, group gone': {
    state: 'BACKOFF',
    effects: [clear('start-secs'), set('backoff', 2000)],
    changes: { pid: null, lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 0.5s after start' },
  },
  ...UNCHANGED_BY_TIMERS,
  // start-secs alone is not enough: the health check has not passed yet.
  'timer start-secs, group alive': {
    state: 'STARTING',
    effects: [],
    changes: { startSecsDone: true },
    note: 'up for start-secs; waiting for the first health check to pass',
  },
  'timer start-secs, group gone': {
    state: 'STARTING',
    effects: [],
    changes: { startSecsDone: true },
    note: 'up for start-secs; waiting for the first health check to pass',
  },
  // A pass before start-secs is remembered; the state waits for start-secs.
  'health passed': { state: 'STARTING', effects: [], changes: { healthPassed: true, error: null }, note: null },
  'health failed': { state: 'STARTING', effects: [], changes: { healthFailures: 1, error: NOT_PASSING_YET }, note: null },
  'over-memory': '=', // judged once it runs
  ...liveWithoutReadiness('STARTING'),
} as Record<EventName, Expected>;

/** RUNNING's answers to everything but the probes (which depend on the failures so far). */
const RUNNING_ROW = {
  start: '=',
  stop: { state: 'STOPPING', effects: GRACEFUL_STOP },
  restart: { state: 'STOPPING', effects: GRACEFUL_STOP, changes: { then: 'start', recovery: null } },
  spawned: '=',
  'spawn-failed': '=',
  'exited, group alive': {
    state: 'STARTING',
    effects: [KILL, clear('backoff'), SPAWN],
    changes: { pid: null, spawnedAt: null, lastExit: EXIT_1, restarts: 3, startSecsDone: false, healthPassed: false, healthFailures: 0 },
  },
  'exited, group gone': {
    state: 'STARTING',
    effects: [clear('backoff'), SPAWN],
    changes: { pid: null, spawnedAt: null, lastExit: EXIT_1, restarts: 3, startSecsDone: false, healthPassed: false, healthFailures: 0 },
  },
  ...UNCHANGED_BY_TIMERS,
  'over-memory': MEMORY_RECOVERS,
  ...liveWithoutReadiness('RUNNING', null),
} as const satisfies Partial<Record<EventName, Expected>>;

/** The graceful stop of an announcing vassal: its readiness timers go too. */
const ANNOUNCING_STOP: Effect[] = [clear('start-secs'), clear('start-timeout'), clear('watchdog'), TERM, set('stop-timeout', 10_000)];
const WATCHDOG_STOP: Effect[] = [clear('start-secs'), clear('start-timeout'), clear('watchdog'), { type: 'kill-group', signal: 'SIGABRT' }, set('stop-timeout', 10_000)];
const ANNOUNCING_BACKOFF: Effect[] = [clear('start-secs'), clear('start-timeout'), clear('watchdog'), set('backoff', 1000)];
const WATCHDOG_RESTART: Expected = {
  state: 'STOPPING',
  effects: WATCHDOG_STOP,
  changes: { then: 'recover', error: WATCHDOG_FIRED, recovery: WATCHDOG_FIRED, watchdogFires: 1 },
  note: WATCHDOG_FIRED,
};
const TIMED_OUT_START: Expected = { state: 'STOPPING', effects: ANNOUNCING_STOP, changes: { then: 'fail', error: START_TIMED_OUT }, note: START_TIMED_OUT };
const ENDED_EXITED: Expected = { state: 'EXITED', effects: [clear('stop-timeout'), clear('group-poll')], changes: { then: 'stay' } };
const ENDED_FAILED: Expected = {
  state: 'BACKOFF',
  effects: [clear('stop-timeout'), clear('group-poll'), ...ANNOUNCING_BACKOFF],
  changes: { then: 'stay', failures: 1, backoffUntil: NOW + 1000 },
  note: `${START_TIMED_OUT}; failed start 1, retrying in 1.0s`,
};

/** How a stop in progress answers operators, a late spawn and its leader's exit, whatever it leads to. */
const STOPPING_LEADER_GONE = {
  start: { state: 'STOPPING', effects: [], changes: { then: 'start' } },
  stop: { state: 'STOPPING', effects: [], changes: { then: 'stay' } },
  restart: { state: 'STOPPING', effects: [], changes: { then: 'start' } },
  spawned: { state: 'STOPPING', effects: [TERM], changes: { pid: 200, spawnedAt: NOW } },
  'exited, group alive': { state: 'STOPPING', effects: [set('group-poll', 25)], changes: { lastExit: EXIT_1 } },
  ...UNCHANGED_BY_TIMERS,
  'timer stop-timeout, group alive': { state: 'STOPPING', effects: [KILL] },
  'timer stop-timeout, group gone': { state: 'STOPPING', effects: [KILL] },
  'timer group-poll, group alive': { state: 'STOPPING', effects: [set('group-poll', 25)] },
  ...UNCHANGED_BY_PROBES,
} as const satisfies Partial<Record<EventName, Expected>>;

const READINESS_ROWS: Pick<Record<Situation, Record<EventName, Expected>>, 'STARTING, announces readiness' | 'RUNNING, watchdog armed' | 'STOPPING, asked to stop' | 'STOPPING, start timed out'> = {
  'STARTING, announces readiness': {
    start: '=',
    stop: { state: 'STOPPING', effects: ANNOUNCING_STOP },
    restart: { state: 'STOPPING', effects: ANNOUNCING_STOP, changes: { then: 'start' } },
    // start-timeout bounds the wait, not start-secs.
    spawned: { state: 'STARTING', effects: [set('start-timeout', 30_000)], changes: { pid: 200, spawnedAt: NOW } },
    'spawn-failed': {
      state: 'BACKOFF',
      effects: ANNOUNCING_BACKOFF,
      changes: { pid: null, spawnedAt: null, failures: 1, backoffUntil: NOW + 1000, error: SPAWN_ERROR },
    },
    'exited, group alive': {
      state: 'BACKOFF',
      effects: [KILL, ...ANNOUNCING_BACKOFF],
      changes: { pid: null, lastExit: EXIT_1, failures: 1, backoffUntil: NOW + 1000, error: 'exited with code 1 0.5s after start' },
    },
    'exited, group gone': {
      state: 'BACKOFF',
      effects: ANNOUNCING_BACKOFF,
      changes: { pid: null, lastExit: EXIT_1, failures: 1, backoffUntil: NOW + 1000, error: 'exited with code 1 0.5s after start' },
    },
    ...UNCHANGED_BY_TIMERS,
    // No READY=1 by start-timeout: stopped, then a failed start.
    'timer start-timeout, group alive': TIMED_OUT_START,
    'timer start-timeout, group gone': TIMED_OUT_START,
    'health passed': { state: 'STARTING', effects: [], changes: { healthPassed: true }, note: null },
    'health failed': { state: 'STARTING', effects: [], changes: { healthFailures: 1, error: NOT_PASSING_YET }, note: null },
    'over-memory': '=',
    // READY=1: RUNNING at once, and the watchdog's deadline is armed.
    ready: { state: 'RUNNING', effects: [clear('start-timeout'), set('watchdog', 2000)], changes: { startSecsDone: true } },
    // Pings before READY=1 do not arm it (as systemd).
    'watchdog-ping': '=',
    status: { state: 'STARTING', effects: [], changes: { statusText: 'loading' }, note: null },
    'stop-requested': { state: 'STOPPING', effects: ANNOUNCING_STOP, changes: { then: 'exit' }, note: ASKED_TO_STOP },
    'extend-timeout': { state: 'STARTING', effects: [set('start-timeout', 5000)] },
  },
  'RUNNING, watchdog armed': {
    start: '=',
    stop: { state: 'STOPPING', effects: ANNOUNCING_STOP },
    restart: { state: 'STOPPING', effects: ANNOUNCING_STOP, changes: { then: 'start' } },
    spawned: '=',
    'spawn-failed': '=',
    'exited, group alive': {
      state: 'STARTING',
      effects: [KILL, clear('start-timeout'), clear('watchdog'), clear('backoff'), SPAWN],
      changes: { pid: null, spawnedAt: null, lastExit: EXIT_1, restarts: 3, startSecsDone: false, statusText: null },
    },
    'exited, group gone': {
      state: 'STARTING',
      effects: [clear('start-timeout'), clear('watchdog'), clear('backoff'), SPAWN],
      changes: { pid: null, spawnedAt: null, lastExit: EXIT_1, restarts: 3, startSecsDone: false, statusText: null },
    },
    ...UNCHANGED_BY_TIMERS,
    // A missed WATCHDOG=1: watchdog-signal, counted like any restart nobody asked for.
    'timer watchdog, group alive': WATCHDOG_RESTART,
    'timer watchdog, group gone': WATCHDOG_RESTART,
    'health passed': { state: 'RUNNING', effects: [], changes: { healthPassed: true }, note: null },
    'health failed': { state: 'RUNNING', effects: [], changes: { healthFailures: 1 }, note: 'health check failed (1 of 3): HTTP 503' },
    'over-memory': { ...MEMORY_RECOVERS, effects: ANNOUNCING_STOP },
    ready: '=',
    'watchdog-ping': { state: 'RUNNING', effects: [set('watchdog', 2000)] },
    status: { state: 'RUNNING', effects: [], changes: { statusText: 'loading' }, note: null },
    'stop-requested': { state: 'STOPPING', effects: ANNOUNCING_STOP, changes: { then: 'exit' }, note: ASKED_TO_STOP },
    'extend-timeout': '=',
  },
  // Once gone, a vassal that asked to stop is EXITED, not STOPPED and not crashed.
  'STOPPING, asked to stop': {
    ...STOPPING_LEADER_GONE,
    'spawn-failed': ENDED_EXITED,
    'exited, group gone': { ...ENDED_EXITED, changes: { then: 'stay', lastExit: EXIT_1 } },
    'timer group-poll, group gone': ENDED_EXITED,
  },
  // Once gone, a start that timed out is a failed start: BACKOFF, counted in failures.
  'STOPPING, start timed out': {
    ...STOPPING_LEADER_GONE,
    'spawn-failed': ENDED_FAILED,
    'exited, group gone': { ...ENDED_FAILED, changes: { then: 'stay', failures: 1, backoffUntil: NOW + 1000, lastExit: EXIT_1 } },
    'timer group-poll, group gone': ENDED_FAILED,
  },
};

const TABLE: Record<Situation, Record<EventName, Expected>> = {
  ...READINESS_ROWS,
  STOPPED: {
    start: { state: 'STARTING', effects: [clear('backoff'), SPAWN], changes: { recovery: null } },
    // An operator's stop leaves the last recovery's reason in place.
    stop: '=',
    restart: { state: 'STARTING', effects: [clear('backoff'), SPAWN], changes: { recovery: null } },
    spawned: '=',
    'spawn-failed': '=',
    'exited, group alive': '=',
    'exited, group gone': '=',
    ...UNCHANGED_BY_TIMERS,
    ...UNCHANGED_BY_PROBES,
  },
  STARTING: STARTING_ROW,
  'STARTING, no health check': {
    ...STARTING_ROW,
    'timer start-secs, group alive': { state: 'RUNNING', effects: [], changes: { startSecsDone: true, error: null }, note: null },
    'timer start-secs, group gone': { state: 'RUNNING', effects: [], changes: { startSecsDone: true, error: null }, note: null },
  },
  'STARTING, spawn pending': {
    start: '=',
    stop: { state: 'STOPPING', effects: [clear('start-secs'), set('stop-timeout', 10_000)] },
    restart: { state: 'STOPPING', effects: [clear('start-secs'), set('stop-timeout', 10_000)], changes: { then: 'start' } },
    spawned: { state: 'STARTING', effects: [set('start-secs', 1000)], changes: { pid: 200, spawnedAt: NOW } },
    'spawn-failed': {
      state: 'BACKOFF',
      effects: [clear('start-secs'), set('backoff', 2000)],
      changes: { failures: 2, backoffUntil: NOW + 2000, error: SPAWN_ERROR },
    },
    'exited, group alive': {
      state: 'BACKOFF',
      effects: [KILL, clear('start-secs'), set('backoff', 2000)],
      changes: { lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 0.0s after start' },
    },
    'exited, group gone': {
      state: 'BACKOFF',
      effects: [clear('start-secs'), set('backoff', 2000)],
      changes: { lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 0.0s after start' },
    },
    // No process yet: start-secs cannot have elapsed, and there is nothing to probe.
    ...UNCHANGED_BY_TIMERS,
    'health passed': '=',
    'health failed': '=',
    // Memory is only judged while RUNNING.
    'over-memory': '=',
    ...UNCHANGED_BY_READINESS,
  },
  'STARTING, health passed': {
    start: '=',
    stop: { state: 'STOPPING', effects: GRACEFUL_STOP },
    restart: { state: 'STOPPING', effects: GRACEFUL_STOP, changes: { then: 'start' } },
    spawned: { state: 'STARTING', effects: [set('start-secs', 1000)], changes: { pid: 200, spawnedAt: NOW } },
    'spawn-failed': {
      state: 'BACKOFF',
      effects: [clear('start-secs'), set('backoff', 2000)],
      changes: { pid: null, spawnedAt: null, failures: 2, backoffUntil: NOW + 2000, error: SPAWN_ERROR },
    },
    'exited, group alive': {
      state: 'BACKOFF',
      effects: [KILL, clear('start-secs'), set('backoff', 2000)],
      changes: { pid: null, lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 0.5s after start' },
    },
    'exited, group gone': {
      state: 'BACKOFF',
      effects: [clear('start-secs'), set('backoff', 2000)],
      changes: { pid: null, lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 0.5s after start' },
    },
    ...UNCHANGED_BY_TIMERS,
    // The pass came first: start-secs completes the start.
    'timer start-secs, group alive': { state: 'RUNNING', effects: [], changes: { startSecsDone: true }, note: null },
    'timer start-secs, group gone': { state: 'RUNNING', effects: [], changes: { startSecsDone: true }, note: null },
    'health passed': '=',
    // It passed once already: the error says it is failing now, not that it never passed.
    'health failed': { state: 'STARTING', effects: [], changes: { healthFailures: 1, error: 'health check failing: HTTP 503' }, note: null },
    'over-memory': '=',
    ...liveWithoutReadiness('STARTING'),
  },
  'STARTING, start-secs done': {
    start: '=',
    stop: { state: 'STOPPING', effects: GRACEFUL_STOP },
    restart: { state: 'STOPPING', effects: GRACEFUL_STOP, changes: { then: 'start' } },
    spawned: { state: 'STARTING', effects: [set('start-secs', 1000)], changes: { pid: 200, spawnedAt: NOW } },
    'spawn-failed': {
      state: 'BACKOFF',
      effects: [clear('start-secs'), set('backoff', 2000)],
      changes: { pid: null, spawnedAt: null, failures: 2, backoffUntil: NOW + 2000, error: SPAWN_ERROR },
    },
    // Still STARTING, so dying is a failed start, however long it has lived.
    'exited, group alive': {
      state: 'BACKOFF',
      effects: [KILL, clear('start-secs'), set('backoff', 2000)],
      changes: { pid: null, lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 2.0s after start' },
    },
    'exited, group gone': {
      state: 'BACKOFF',
      effects: [clear('start-secs'), set('backoff', 2000)],
      changes: { pid: null, lastExit: EXIT_1, failures: 2, backoffUntil: NOW + 2000, error: 'exited with code 1 2.0s after start' },
    },
    ...UNCHANGED_BY_TIMERS,
    // The first pass after start-secs makes it RUNNING.
    'health passed': {
      state: 'RUNNING',
      effects: [],
      changes: { healthPassed: true, healthFailures: 0, error: null },
      note: 'health check passed',
    },
    // health-retries failures in a row do not restart a STARTING process: it waits, showing why.
    'health failed': { state: 'STARTING', effects: [], changes: { healthFailures: 3, error: NOT_PASSING_YET }, note: null },
    'over-memory': '=',
    ...liveWithoutReadiness('STARTING'),
  },
  RUNNING: {
    ...RUNNING_ROW,
    'health passed': '=',
    'health failed': { state: 'RUNNING', effects: [], changes: { healthFailures: 1 }, note: 'health check failed (1 of 3): HTTP 503' },
  },
  'RUNNING, health failing': {
    ...RUNNING_ROW,
    restart: { state: 'STOPPING', effects: GRACEFUL_STOP, changes: { then: 'start' } },
    'health passed': { state: 'RUNNING', effects: [], changes: { healthFailures: 0 }, note: 'health check passing again' },
    // The health-retries-th failure in a row: a graceful restart the emperor decided.
    'health failed': {
      state: 'STOPPING',
      effects: GRACEFUL_STOP,
      changes: { then: 'recover', healthFailures: 3, error: HEALTH_RECOVERY, recovery: HEALTH_RECOVERY },
      note: HEALTH_RECOVERY,
    },
  },
  BACKOFF: {
    start: {
      state: 'STARTING',
      effects: [clear('backoff'), SPAWN],
      changes: { spawnedAt: null, backoffUntil: null, error: null, healthFailures: 0, recovery: null },
    },
    stop: { state: 'STOPPED', effects: [clear('backoff')], changes: { backoffUntil: null, failures: 0, error: null } },
    restart: {
      state: 'STARTING',
      effects: [clear('backoff'), SPAWN],
      changes: { spawnedAt: null, backoffUntil: null, failures: 0, error: null, healthFailures: 0, recovery: null },
    },
    spawned: '=',
    'spawn-failed': '=',
    'exited, group alive': '=',
    'exited, group gone': '=',
    ...UNCHANGED_BY_TIMERS,
    // The retry is the emperor's doing: the recovery reason stays.
    'timer backoff, group alive': {
      state: 'STARTING',
      effects: [clear('backoff'), SPAWN],
      changes: { spawnedAt: null, backoffUntil: null, restarts: 3, healthFailures: 0 },
    },
    'timer backoff, group gone': {
      state: 'STARTING',
      effects: [clear('backoff'), SPAWN],
      changes: { spawnedAt: null, backoffUntil: null, restarts: 3, healthFailures: 0 },
    },
    ...UNCHANGED_BY_PROBES,
  },
  STOPPING: {
    start: { state: 'STOPPING', effects: [], changes: { then: 'start' } },
    stop: '=',
    restart: { state: 'STOPPING', effects: [], changes: { then: 'start' } },
    spawned: { state: 'STOPPING', effects: [TERM], changes: { pid: 200, spawnedAt: NOW } },
    'spawn-failed': { state: 'STOPPED', effects: [clear('stop-timeout'), clear('group-poll')], changes: { pid: null } },
    'exited, group alive': { state: 'STOPPING', effects: [set('group-poll', 25)], changes: { pid: null, lastExit: EXIT_1 } },
    'exited, group gone': {
      state: 'STOPPED',
      effects: [clear('stop-timeout'), clear('group-poll')],
      changes: { pid: null, lastExit: EXIT_1 },
    },
    ...UNCHANGED_BY_TIMERS,
    'timer stop-timeout, group alive': { state: 'STOPPING', effects: [KILL] },
    'timer stop-timeout, group gone': { state: 'STOPPING', effects: [KILL] },
    // The leader still lives: the group is not polled until it exits.
    'timer group-poll, group alive': '=',
    'timer group-poll, group gone': '=',
    ...UNCHANGED_BY_PROBES,
  },
  'STOPPING, leader gone': {
    start: { state: 'STOPPING', effects: [], changes: { then: 'start' } },
    stop: '=',
    restart: { state: 'STOPPING', effects: [], changes: { then: 'start' } },
    spawned: { state: 'STOPPING', effects: [TERM], changes: { pid: 200, spawnedAt: NOW } },
    'spawn-failed': { state: 'STOPPED', effects: [clear('stop-timeout'), clear('group-poll')] },
    'exited, group alive': { state: 'STOPPING', effects: [set('group-poll', 25)], changes: { lastExit: EXIT_1 } },
    'exited, group gone': { state: 'STOPPED', effects: [clear('stop-timeout'), clear('group-poll')], changes: { lastExit: EXIT_1 } },
    ...UNCHANGED_BY_TIMERS,
    'timer stop-timeout, group alive': { state: 'STOPPING', effects: [KILL] },
    'timer stop-timeout, group gone': { state: 'STOPPING', effects: [KILL] },
    'timer group-poll, group alive': { state: 'STOPPING', effects: [set('group-poll', 25)] },
    'timer group-poll, group gone': { state: 'STOPPED', effects: [clear('stop-timeout'), clear('group-poll')] },
    ...UNCHANGED_BY_PROBES,
  },
  'STOPPING, recovering': {
    // A start (say, after a supervision-only edit) leaves the recovery counted as one.
    start: '=',
    stop: { state: 'STOPPING', effects: [], changes: { then: 'stay' } },
    restart: { state: 'STOPPING', effects: [], changes: { then: 'start', recovery: null } },
    spawned: { state: 'STOPPING', effects: [TERM], changes: { pid: 200, spawnedAt: NOW } },
    // The respawn counts in restarts; the reason stays in error and recovery.
    'spawn-failed': {
      state: 'STARTING',
      effects: [clear('stop-timeout'), clear('group-poll'), clear('backoff'), SPAWN],
      changes: { pid: null, spawnedAt: null, then: 'stay', restarts: 3, startSecsDone: false, healthPassed: false, healthFailures: 0 },
    },
    'exited, group alive': { state: 'STOPPING', effects: [set('group-poll', 25)], changes: { pid: null, lastExit: EXIT_1 } },
    'exited, group gone': {
      state: 'STARTING',
      effects: [clear('stop-timeout'), clear('group-poll'), clear('backoff'), SPAWN],
      changes: {
        pid: null,
        spawnedAt: null,
        lastExit: EXIT_1,
        then: 'stay',
        restarts: 3,
        startSecsDone: false,
        healthPassed: false,
        healthFailures: 0,
      },
    },
    ...UNCHANGED_BY_TIMERS,
    'timer stop-timeout, group alive': { state: 'STOPPING', effects: [KILL] },
    'timer stop-timeout, group gone': { state: 'STOPPING', effects: [KILL] },
    ...UNCHANGED_BY_PROBES,
  },
  EXITED: {
    start: {
      state: 'STARTING',
      effects: [clear('backoff'), SPAWN],
      changes: { spawnedAt: null, startSecsDone: false, healthPassed: false, recovery: null },
    },
    stop: { state: 'STOPPED', effects: [clear('backoff')], changes: { failures: 0, error: null } },
    restart: {
      state: 'STARTING',
      effects: [clear('backoff'), SPAWN],
      changes: { spawnedAt: null, startSecsDone: false, healthPassed: false, recovery: null },
    },
    spawned: '=',
    'spawn-failed': '=',
    'exited, group alive': '=',
    'exited, group gone': '=',
    ...UNCHANGED_BY_TIMERS,
    ...UNCHANGED_BY_PROBES,
  },
  FATAL: {
    start: { state: 'STARTING', effects: [clear('backoff'), SPAWN], changes: { spawnedAt: null, failures: 0, error: null } },
    stop: { state: 'STOPPED', effects: [clear('backoff')], changes: { failures: 0, error: null } },
    restart: { state: 'STARTING', effects: [clear('backoff'), SPAWN], changes: { spawnedAt: null, failures: 0, error: null } },
    spawned: '=',
    'spawn-failed': '=',
    'exited, group alive': '=',
    'exited, group gone': '=',
    ...UNCHANGED_BY_TIMERS,
    ...UNCHANGED_BY_PROBES,
  },
};

test('the table covers 7 states x every event type, each timer, groupAlive both ways', () => {
  const states = new Set(Object.values(SITUATIONS).map((s) => s.state));
  assert.deepEqual([...states].sort(), ['BACKOFF', 'EXITED', 'FATAL', 'RUNNING', 'STARTING', 'STOPPED', 'STOPPING']);
  const types = new Set(Object.values(EVENTS).map((e) => e.type));
  assert.deepEqual([...types].sort(), [
    'exited', 'extend-timeout', 'health', 'over-memory', 'ready', 'restart', 'spawn-failed', 'spawned', 'start', 'status', 'stop',
    'stop-requested', 'timer', 'watchdog-ping',
  ]);
  const timers = new Set<string>();
  for (const e of Object.values(EVENTS)) if (e.type === 'timer') timers.add(`${e.timer}/${e.groupAlive}`);
  assert.equal(timers.size, 12);
  const probes = new Set<string>();
  for (const e of Object.values(EVENTS)) if (e.type === 'health') probes.add(String(e.ok));
  assert.deepEqual([...probes].sort(), ['false', 'true'], 'a passing and a failing probe');
  for (const situation of Object.keys(SITUATIONS)) {
    assert.deepEqual(Object.keys(TABLE[situation as Situation]).sort(), Object.keys(EVENTS).sort(), situation);
  }
  // The health sub-cases the table must hold.
  const all = Object.values(SITUATIONS) as Instance[];
  assert.ok(all.some((i) => i.state === 'STARTING' && i.pid !== null && i.startSecsDone && !i.healthPassed), 'start-secs done, no pass yet');
  assert.ok(all.some((i) => i.state === 'STARTING' && i.pid !== null && !i.startSecsDone && i.healthPassed), 'a pass before start-secs');
  assert.ok(all.some((i) => i.state === 'RUNNING' && i.healthFailures === TABLE_POLICY.healthRetries - 1), 'one failure short of a restart');
  assert.ok(all.some((i) => i.state === 'STOPPING' && i.then === 'recover'), 'a recovery in progress');
});

for (const [situation, before] of Object.entries(SITUATIONS) as Array<[Situation, Instance]>) {
  test(`transition table: ${situation}`, () => {
    const ctx: LifecycleContext = { ...TABLE_CTX, policy: { ...TABLE_POLICY, ...SITUATION_POLICY[situation] } };
    for (const [eventName, event] of Object.entries(EVENTS) as Array<[EventName, LifecycleEvent]>) {
      const frozen = structuredClone(before);
      const expected = TABLE[situation][eventName];
      const got = transition(before, event, ctx);
      const label = `${situation} + ${eventName}`;
      assert.deepEqual(before, frozen, `${label}: the input instance is not mutated`);
      if (expected === '=') {
        assert.deepEqual(got.next, before, `${label}: instance unchanged`);
        assert.deepEqual(got.effects, [], `${label}: no effects`);
        continue;
      }
      assert.deepEqual(got.effects, expected.effects, `${label}: effects`);
      assert.deepEqual(got.next, { ...before, ...expected.changes, state: expected.state }, `${label}: next instance`);
      if (expected.note !== undefined) assert.equal(got.note, expected.note, `${label}: note`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Scenarios, driven by a fake clock and fake timers (see lifecycle-sim.ts; health ones in lifecycle-health.test.ts).
// ---------------------------------------------------------------------------------------------

test('start -> spawned -> start-secs timer -> RUNNING', () => {
  const sim = new Sim(POLICY);
  const t = sim.send({ type: 'start' });
  assert.equal(sim.inst.state, 'STARTING');
  assert.deepEqual(t.effects, [{ type: 'clear-timer', timer: 'backoff' }, { type: 'spawn' }]);
  assert.equal(sim.spawns, 1);
  sim.advance(500);
  const pid = sim.spawned();
  assert.equal(sim.inst.pid, pid);
  assert.equal(sim.inst.spawnedAt, 500);
  assert.equal(sim.timers.get('start-secs'), 1500);
  sim.advance(999);
  assert.equal(sim.inst.state, 'STARTING');
  sim.advance(1);
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.timers.size, 0);
  assert.equal(sim.inst.restarts, 0, 'the first start is not a restart');
  assert.equal(sim.inst.failures, 0);
  assert.equal(sim.inst.error, null);
});

test('a crash while STARTING is a failed start: BACKOFF for backoffDelay, then STARTING again', () => {
  const sim = new Sim(POLICY, 0.3);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(200);
  const t = sim.exit(1);
  const delay = backoffDelay(1, { base: POLICY.backoff, max: POLICY.backoffMax }, 0.3);
  assert.equal(delay, 960);
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.deepEqual(t.effects, [
    { type: 'clear-timer', timer: 'start-secs' },
    { type: 'set-timer', timer: 'backoff', ms: delay },
  ]);
  assert.equal(sim.inst.failures, 1);
  assert.equal(sim.inst.backoffUntil, 200 + delay);
  assert.deepEqual(sim.inst.lastExit, { code: 1, signal: null, at: 200 });
  assert.equal(sim.inst.error, 'exited with code 1 0.2s after start');
  assert.equal(sim.inst.pid, null);
  assert.ok(!sim.timers.has('start-secs'));
  sim.advance(delay - 1);
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.equal(sim.spawns, 1);
  sim.advance(1);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.spawns, 2);
  assert.equal(sim.inst.backoffUntil, null);
  // The second failure in a row doubles the delay.
  sim.spawned();
  sim.advance(100);
  const second = sim.exit(null, 'SIGSEGV');
  assert.deepEqual(second.effects.at(-1), { type: 'set-timer', timer: 'backoff', ms: 1920 });
  assert.equal(sim.inst.failures, 2);
  assert.equal(sim.inst.error, 'killed by SIGSEGV 0.1s after start');
});

/** Runs failed starts (a crash 200 ms after each spawn) until the instance stops spawning. */
function crashUntilSettled(sim: Sim, limit: number): void {
  for (let i = 0; i < limit && sim.inst.state === 'STARTING'; i++) {
    sim.spawned();
    sim.advance(200);
    sim.exit(1);
    sim.advance(10 * 60_000);
  }
}

test('start-retries = 3: exactly three spawns, then FATAL', () => {
  const sim = new Sim({ ...POLICY, startRetries: 3 });
  sim.send({ type: 'start' });
  crashUntilSettled(sim, 10);
  assert.equal(sim.inst.state, 'FATAL');
  assert.equal(sim.spawns, 3);
  assert.equal(sim.inst.failures, 3);
  assert.equal(sim.inst.restarts, 2, 'the two spawns after BACKOFF are restarts');
  assert.equal(sim.timers.size, 0);
  assert.equal(sim.inst.backoffUntil, null);
  assert.ok(sim.inst.error !== null && sim.inst.error.startsWith('exited with code 1'));
  assert.ok(sim.notes.some((n) => n.includes('gave up after 3 failed starts in a row')));
  sim.advance(3_600_000);
  assert.equal(sim.spawns, 3, 'FATAL never spawns on its own');
});

test('start-retries = 1: one spawn, then FATAL; start-retries = 0 never gives up', () => {
  const once = new Sim({ ...POLICY, startRetries: 1 });
  once.send({ type: 'start' });
  crashUntilSettled(once, 10);
  assert.equal(once.inst.state, 'FATAL');
  assert.equal(once.spawns, 1);

  const forever = new Sim(POLICY);
  forever.send({ type: 'start' });
  crashUntilSettled(forever, 50);
  assert.equal(forever.spawns, 51);
  assert.equal(forever.inst.state, 'STARTING');
  assert.equal(forever.inst.failures, 50);
  const delays = forever.transitions.flatMap((t) => t.effects.filter((e) => e.type === 'set-timer' && e.timer === 'backoff'));
  assert.deepEqual(delays.at(-1), { type: 'set-timer', timer: 'backoff', ms: 60_000 }, 'capped at backoff-max');
});

test('a RUNNING process that dies after >= 1 s restarts at once, restarts + 1, failures reset', () => {
  const sim = new Sim({ ...POLICY, startRetries: 3 });
  sim.send({ type: 'start' });
  // Two failed starts, then one that comes up.
  for (let i = 0; i < 2; i++) {
    sim.spawned();
    sim.advance(100);
    sim.exit(1);
    sim.advance(60_000);
  }
  assert.equal(sim.inst.failures, 2);
  sim.spawned();
  sim.advance(1000);
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.inst.failures, 2, 'unchanged until it dies or stops');
  const restartsBefore = sim.inst.restarts;
  const spawnsBefore = sim.spawns;
  sim.advance(5000);
  const t = sim.exit(1);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.spawns, spawnsBefore + 1, 'spawned at once');
  assert.ok(!sim.timers.has('backoff'), 'no backoff');
  assert.equal(sim.inst.restarts, restartsBefore + 1);
  assert.equal(sim.inst.failures, 0);
  assert.equal(sim.inst.error, null);
  assert.deepEqual(sim.inst.lastExit, { code: 1, signal: null, at: sim.now });
  assert.equal(t.note, 'exited with code 1; restarting');
  // The fresh count allows three more failed starts.
  crashUntilSettled(sim, 10);
  assert.equal(sim.inst.state, 'FATAL');
  assert.equal(sim.spawns, spawnsBefore + 3);
});

test('an unrequested exit with the group still alive kills the group before anything else', () => {
  const sim = new Sim(POLICY);
  sim.bringUp();
  sim.advance(5000);
  const t = sim.exit(0, null, true);
  assert.deepEqual(t.effects[0], { type: 'kill-group', signal: 'SIGKILL' });
  assert.deepEqual(sim.signals, [{ at: sim.now, signal: 'SIGKILL' }]);
});

test('start-secs = 0: RUNNING at once, but dying < 1 s after spawn is a failed start (supervisord #1285)', () => {
  const sim = new Sim({ ...POLICY, startSecs: 0, startRetries: 3 });
  sim.send({ type: 'start' });
  const t = sim.send({ type: 'spawned', pid: 42 });
  assert.deepEqual(t.effects, [], 'no start-secs timer');
  assert.equal(sim.inst.state, 'RUNNING');
  sim.advance(MIN_STABLE_MS - 1);
  sim.exit(1);
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.equal(sim.inst.failures, 1);
  assert.equal(sim.inst.error, 'exited with code 1 1.0s after start');
  // A crash loop cannot spin: it ends FATAL after start-retries spawns.
  sim.advance(60_000);
  for (let i = 0; i < 10 && sim.inst.state === 'STARTING'; i++) {
    sim.spawned();
    assert.equal(sim.inst.state, 'RUNNING');
    sim.advance(10);
    sim.exit(0);
    sim.advance(60_000);
  }
  assert.equal(sim.inst.state, 'FATAL');
  assert.equal(sim.spawns, 3);
});

test('start-secs = 0: dying exactly 1 s after spawn is no longer a failed start', () => {
  const sim = new Sim({ ...POLICY, startSecs: 0 });
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(MIN_STABLE_MS);
  sim.exit(1);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.restarts, 1);
  assert.equal(sim.inst.failures, 0);
});

test('start-secs below 1 s: RUNNING after start-secs, yet a death before 1 s is still a failed start', () => {
  const sim = new Sim({ ...POLICY, startSecs: 300 });
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(300);
  assert.equal(sim.inst.state, 'RUNNING');
  sim.advance(400);
  sim.exit(1);
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.equal(sim.inst.failures, 1);
});

test('restart policies and exit-codes decide what a RUNNING process exit leads to', () => {
  type Case = [LifecyclePolicy['restart'], number[], number | null, string | null, 'STARTING' | 'EXITED', string | null];
  const cases: Case[] = [
    ['always', [0], 0, null, 'STARTING', null],
    ['always', [0], 1, null, 'STARTING', null],
    ['always', [0], null, 'SIGKILL', 'STARTING', null],
    ['on-failure', [0], 0, null, 'EXITED', null],
    ['on-failure', [0, 2], 2, null, 'EXITED', null],
    ['on-failure', [0], 1, null, 'STARTING', null],
    ['on-failure', [0, 2], 3, null, 'STARTING', null],
    ['on-failure', [0], null, 'SIGTERM', 'STARTING', null],
    ['on-failure', [0, 143], null, 'SIGTERM', 'STARTING', null],
    ['never', [0], 0, null, 'EXITED', null],
    ['never', [0], 1, null, 'EXITED', 'exited with code 1'],
    ['never', [0], null, 'SIGSEGV', 'EXITED', 'killed by SIGSEGV'],
  ];
  for (const [restart, exitCodes, code, signal, state, error] of cases) {
    const label = `restart=${restart} exit-codes=${exitCodes.join(',')} code=${code} signal=${signal}`;
    const sim = new Sim({ ...POLICY, restart, exitCodes });
    sim.bringUp();
    sim.advance(60_000);
    sim.exit(code, signal);
    assert.equal(sim.inst.state, state, label);
    assert.equal(sim.spawns, state === 'STARTING' ? 2 : 1, label);
    assert.equal(sim.inst.restarts, state === 'STARTING' ? 1 : 0, label);
    assert.equal(sim.inst.failures, 0, label);
    assert.equal(sim.inst.error, error, label);
    assert.deepEqual(sim.inst.lastExit, { code, signal, at: sim.now }, label);
    assert.equal(sim.inst.pid, null, label);
    assert.equal(sim.timers.size, 0, label);
  }
});

test('a quick successful exit: EXITED with on-failure or never, a failed start with always', () => {
  for (const startSecs of [1000, 0]) {
    for (const restart of ['on-failure', 'never'] as const) {
      const label = `restart=${restart} start-secs=${startSecs}`;
      const sim = new Sim({ ...POLICY, restart, startSecs, startRetries: 3 });
      sim.send({ type: 'start' });
      sim.spawned();
      sim.advance(200);
      sim.exit(0);
      assert.equal(sim.inst.state, 'EXITED', label);
      assert.equal(sim.inst.failures, 0, label);
      assert.equal(sim.inst.error, null, label);
      assert.equal(sim.inst.backoffUntil, null, label);
      assert.equal(sim.timers.size, 0, label);
      sim.advance(3_600_000);
      assert.equal(sim.spawns, 1, label);
    }
    const always = new Sim({ ...POLICY, restart: 'always', startSecs, startRetries: 3 });
    always.send({ type: 'start' });
    always.spawned();
    always.advance(200);
    always.exit(0);
    assert.equal(always.inst.state, 'BACKOFF', `restart=always start-secs=${startSecs}`);
    assert.equal(always.inst.failures, 1);
    assert.equal(always.inst.error, 'exited with code 0 0.2s after start');
  }
});

test('a quick failing exit is a failed start whatever the restart policy', () => {
  for (const restart of ['always', 'on-failure', 'never'] as const) {
    const sim = new Sim({ ...POLICY, restart });
    sim.send({ type: 'start' });
    sim.spawned();
    sim.advance(200);
    sim.exit(3);
    assert.equal(sim.inst.state, 'BACKOFF', restart);
    assert.equal(sim.inst.failures, 1, restart);
  }
});

test('stop from RUNNING: stop-signal to the group, stop-timeout, then SIGKILL, then STOPPED', () => {
  const sim = new Sim(POLICY);
  sim.bringUp();
  sim.advance(5000);
  const stopAt = sim.now;
  const t = sim.send({ type: 'stop' });
  assert.equal(sim.inst.state, 'STOPPING');
  assert.deepEqual(t.effects, [
    { type: 'clear-timer', timer: 'start-secs' },
    { type: 'kill-group', signal: 'SIGINT' },
    { type: 'set-timer', timer: 'stop-timeout', ms: 10_000 },
  ]);
  assert.deepEqual(sim.signals, [{ at: stopAt, signal: 'SIGINT' }]);
  sim.advance(9999);
  assert.equal(sim.signals.length, 1);
  sim.advance(1);
  assert.deepEqual(sim.signals, [
    { at: stopAt, signal: 'SIGINT' },
    { at: stopAt + 10_000, signal: 'SIGKILL' },
  ]);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.ok(sim.notes.some((n) => n.includes('SIGKILL')));
  sim.advance(5);
  sim.exit(null, 'SIGKILL');
  assert.equal(sim.inst.state, 'STOPPED');
  assert.equal(sim.inst.pid, null);
  assert.deepEqual(sim.inst.lastExit, { code: null, signal: 'SIGKILL', at: sim.now });
  assert.equal(sim.timers.size, 0);
  assert.equal(sim.spawns, 1, 'a requested stop never respawns');
  assert.equal(sim.inst.restarts, 0);
});

test('exit while STOPPING with the group alive waits, polling, until the group is gone', () => {
  const sim = new Sim(POLICY);
  sim.bringUp();
  sim.send({ type: 'stop' });
  sim.advance(50);
  const t = sim.exit(null, 'SIGINT', true);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.inst.pid, null);
  assert.deepEqual(t.effects, [{ type: 'set-timer', timer: 'group-poll', ms: GROUP_POLL_MS }]);
  sim.groupAlive = true;
  sim.advance(GROUP_POLL_MS * 8);
  assert.equal(sim.inst.state, 'STOPPING');
  assert.ok(sim.timers.has('group-poll'), 'still polling');
  assert.equal(sim.signals.length, 1, 'no SIGKILL before stop-timeout');
  sim.groupAlive = false;
  sim.advance(GROUP_POLL_MS);
  assert.equal(sim.inst.state, 'STOPPED');
  assert.equal(sim.timers.size, 0);
});

test('a group that outlives its leader past stop-timeout gets SIGKILL, then STOPPED once empty', () => {
  const sim = new Sim(POLICY);
  sim.bringUp();
  const stopAt = sim.now;
  sim.send({ type: 'stop' });
  sim.advance(10);
  sim.exit(0, null, true);
  sim.groupAlive = true;
  sim.advance(10_000);
  assert.deepEqual(sim.signals, [
    { at: stopAt, signal: 'SIGINT' },
    { at: stopAt + 10_000, signal: 'SIGKILL' },
  ]);
  assert.equal(sim.inst.state, 'STOPPING');
  sim.groupAlive = false;
  sim.advance(GROUP_POLL_MS);
  assert.equal(sim.inst.state, 'STOPPED');
  assert.equal(sim.timers.size, 0);
});

test('restart = stop then spawn, not counted as a restart', () => {
  const sim = new Sim(POLICY);
  sim.bringUp();
  sim.advance(5000);
  sim.send({ type: 'restart' });
  assert.equal(sim.inst.state, 'STOPPING');
  assert.equal(sim.inst.then, 'start');
  assert.deepEqual(sim.signals.map((s) => s.signal), ['SIGINT']);
  assert.equal(sim.spawns, 1, 'nothing spawned before the old process is gone');
  sim.advance(100);
  const t = sim.exit(null, 'SIGINT');
  assert.equal(sim.inst.state, 'STARTING');
  assert.deepEqual(t.effects, [
    { type: 'clear-timer', timer: 'stop-timeout' },
    { type: 'clear-timer', timer: 'group-poll' },
    { type: 'clear-timer', timer: 'backoff' },
    { type: 'spawn' },
  ]);
  assert.equal(sim.spawns, 2);
  assert.equal(sim.inst.restarts, 0);
  assert.equal(sim.inst.then, 'stay');
  assert.equal(sim.timers.size, 0);
  sim.spawned();
  sim.advance(1000);
  assert.equal(sim.inst.state, 'RUNNING');
});

test('restart waits for the whole group when the leader leaves children behind', () => {
  const sim = new Sim(POLICY);
  sim.bringUp();
  sim.send({ type: 'restart' });
  sim.exit(null, 'SIGINT', true);
  sim.groupAlive = true;
  sim.advance(GROUP_POLL_MS * 4);
  assert.equal(sim.spawns, 1);
  sim.groupAlive = false;
  sim.advance(GROUP_POLL_MS);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.spawns, 2);
});

test('a stop that lands before the spawn completes stops the new process at once', () => {
  const sim = new Sim(POLICY);
  sim.send({ type: 'start' });
  const t = sim.send({ type: 'stop' });
  assert.ok(!t.effects.some((e) => e.type === 'kill-group'), 'no pid to signal yet');
  sim.advance(5);
  sim.spawned();
  assert.deepEqual(sim.signals, [{ at: 5, signal: 'SIGINT' }]);
  sim.exit(null, 'SIGINT');
  assert.equal(sim.inst.state, 'STOPPED');
  assert.equal(sim.timers.size, 0);
});

test('spawn-failed while STARTING is a failed start carrying the error, not INVALID', () => {
  const sim = new Sim({ ...POLICY, startRetries: 2 });
  sim.send({ type: 'start' });
  const error = 'spawn /opt/app/bin/serve EACCES';
  const t = sim.send({ type: 'spawn-failed', error });
  assert.equal(sim.inst.state, 'BACKOFF');
  assert.equal(sim.inst.error, error);
  assert.equal(sim.inst.failures, 1);
  assert.deepEqual(t.effects, [
    { type: 'clear-timer', timer: 'start-secs' },
    { type: 'set-timer', timer: 'backoff', ms: 1000 },
  ]);
  assert.ok(t.note !== null && t.note.startsWith(error));
  sim.advance(1000);
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.restarts, 1);
  sim.send({ type: 'spawn-failed', error });
  assert.equal(sim.inst.state, 'FATAL');
  assert.equal(sim.inst.error, error);
  assert.equal(sim.spawns, 2);
});

test('stop during BACKOFF cancels the retry', () => {
  const sim = new Sim(POLICY);
  sim.send({ type: 'start' });
  sim.spawned();
  sim.advance(100);
  sim.exit(1);
  sim.send({ type: 'stop' });
  assert.equal(sim.inst.state, 'STOPPED');
  assert.equal(sim.timers.size, 0);
  sim.advance(3_600_000);
  assert.equal(sim.spawns, 1);
});

test('restarts counts only spawns after unrequested exits', () => {
  const sim = new Sim({ ...POLICY, startRetries: 2 });
  sim.bringUp();
  assert.equal(sim.inst.restarts, 0, 'first start');

  sim.advance(5000);
  sim.exit(1);
  assert.equal(sim.inst.restarts, 1, 'crash while RUNNING');

  sim.spawned();
  sim.advance(100);
  sim.exit(1);
  assert.equal(sim.inst.restarts, 1, 'entering BACKOFF spawns nothing');
  sim.advance(60_000);
  assert.equal(sim.inst.restarts, 2, 'spawn after BACKOFF');
  sim.spawned();
  sim.advance(1000);
  assert.equal(sim.inst.state, 'RUNNING');

  sim.send({ type: 'restart' });
  sim.exit(null, 'SIGINT');
  sim.spawned();
  sim.advance(1000);
  assert.equal(sim.inst.state, 'RUNNING');
  assert.equal(sim.inst.restarts, 2, 'restart event');

  sim.send({ type: 'stop' });
  sim.exit(null, 'SIGINT');
  sim.send({ type: 'start' });
  assert.equal(sim.inst.restarts, 2, 'start after stop');

  crashUntilSettled(sim, 10);
  assert.equal(sim.inst.state, 'FATAL');
  assert.equal(sim.inst.restarts, 3, 'one spawn after BACKOFF on the way to FATAL');
  sim.send({ type: 'start' });
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.failures, 0);
  assert.equal(sim.inst.restarts, 3, 'start after FATAL');

  sim.spawned();
  sim.advance(100);
  sim.exit(1);
  assert.equal(sim.inst.state, 'BACKOFF');
  sim.send({ type: 'start' });
  assert.equal(sim.inst.restarts, 3, 'a start that cuts BACKOFF short is asked for');
  sim.spawned();
  sim.advance(100);
  sim.exit(1);
  assert.equal(sim.inst.state, 'FATAL', 'and it keeps the failures in a row');

  sim.send({ type: 'restart' });
  assert.equal(sim.inst.state, 'STARTING');
  assert.equal(sim.inst.restarts, 3, 'restart after FATAL');
});

test('EXITED and FATAL start again on start (a changed file), with a fresh failure count', () => {
  const exited = new Sim({ ...POLICY, restart: 'never' });
  exited.bringUp();
  exited.advance(5000);
  exited.exit(0);
  assert.equal(exited.inst.state, 'EXITED');
  exited.send({ type: 'start' });
  assert.equal(exited.inst.state, 'STARTING');
  assert.equal(exited.spawns, 2);

  const fatal = new Sim({ ...POLICY, startRetries: 1 });
  fatal.send({ type: 'start' });
  fatal.send({ type: 'spawn-failed', error: 'ENOENT' });
  assert.equal(fatal.inst.state, 'FATAL');
  fatal.send({ type: 'start' });
  assert.equal(fatal.inst.state, 'STARTING');
  assert.equal(fatal.inst.failures, 0);
  assert.equal(fatal.inst.error, null);
});

test('an exit the kernel OOM killer caused: the reason is the instance error and the note, then the usual respawn', () => {
  const running = instance({ state: 'RUNNING', pid: 42, spawnedAt: NOW - 10_000, startSecsDone: true });
  const t = transition(running, { type: 'exited', code: null, signal: 'SIGKILL', groupAlive: false, reason: 'killed by the kernel OOM killer at memory-max 512M' }, TABLE_CTX);
  assert.equal(t.next.lastExit?.signal, 'SIGKILL');
  assert.match(t.note ?? '', /^killed by the kernel OOM killer at memory-max 512M; restarting$/);
  const crashed = transition(instance({ state: 'RUNNING', pid: 42, spawnedAt: NOW - 200 }), { type: 'exited', code: null, signal: 'SIGKILL', groupAlive: false, reason: 'killed by the kernel OOM killer at memory-max 512M' }, TABLE_CTX);
  assert.equal(crashed.next.state, 'BACKOFF');
  assert.match(crashed.next.error ?? '', /^killed by the kernel OOM killer at memory-max 512M/);
});
