// Scheduled vassals over fakes: the overlap rules as a table, the scheduler on the fake clock, the
// one-shot lifecycle, and the schedule keys' errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobStep, type JobEvent, type Overlap } from '../../src/core/schedule-machine.ts';
import { Scheduler, type SchedulableVassal } from '../../src/runtime/scheduler.ts';
import { EventLog } from '../../src/runtime/event-log.ts';
import { parseCron } from '../../src/config/cron.ts';
import { initialInstance, transition, type LifecyclePolicy } from '../../src/core/lifecycle.ts';
import { formatProblem, parseVassalFile } from '../../src/config/parse-file.ts';
import { FakeTime, WALL_EPOCH_MS } from './fakes/runtime-time.ts';

// [running, queued] x event x overlap -> action and the state after.
const ROWS: Array<[string, JobEvent['type'], Overlap, string, string]> = [];
for (const overlap of ['skip', 'queue', 'kill'] as const) {
  ROWS.push(['idle', 'due', overlap, 'start', 'running']);
  ROWS.push(['idle', 'run-now', overlap, 'start', 'running']);
  ROWS.push(['idle', 'ended', overlap, 'none idle', 'idle']);
  ROWS.push(['running', 'due', overlap, { skip: 'none skipped', queue: 'none queued', kill: 'kill-and-start' }[overlap], overlap === 'queue' ? 'running+queued' : 'running']);
  ROWS.push(['running', 'run-now', overlap, { skip: 'none refused', queue: 'none queued', kill: 'kill-and-start' }[overlap], overlap === 'queue' ? 'running+queued' : 'running']);
  ROWS.push(['running', 'ended', overlap, 'none idle', 'idle']);
  ROWS.push(['running+queued', 'due', overlap, { skip: 'none skipped', queue: 'none queued', kill: 'kill-and-start' }[overlap], overlap === 'skip' ? 'running+queued' : overlap === 'queue' ? 'running+queued' : 'running']);
  ROWS.push(['running+queued', 'run-now', overlap, { skip: 'none refused', queue: 'none queued', kill: 'kill-and-start' }[overlap], overlap === 'skip' ? 'running+queued' : overlap === 'queue' ? 'running+queued' : 'running']);
  ROWS.push(['running+queued', 'ended', overlap, 'start', 'running']);
}
const TABLE: ReadonlyArray<[string, JobEvent['type'], Overlap, string, string]> = ROWS;
const stateOf = (s: string) => ({ running: s !== 'idle', queued: s === 'running+queued' });
const nameOf = (s: { running: boolean; queued: boolean }): string => (!s.running ? 'idle' : s.queued ? 'running+queued' : 'running');

for (const [before, ev, overlap, action, after] of TABLE) {
  test(`job: ${before} + ${ev} (overlap = ${overlap}) -> ${action}, ${after}`, () => {
    const step = jobStep(stateOf(before), { type: ev } as JobEvent, overlap);
    assert.equal(step.action.type === 'none' ? `none ${step.action.why}` : step.action.type, action);
    assert.equal(nameOf(step.state), after);
  });
}

class FakeJob implements SchedulableVassal {
  instanceState = 'STOPPED';
  starts = 0;
  stops = 0;
  constructor(
    readonly name: string,
    public spec: SchedulableVassal['spec'],
    private readonly events: EventLog,
  ) {}
  start(): void {
    this.starts++;
    this.set('RUNNING');
  }
  stop(): Promise<void> {
    this.stops++;
    this.set('STOPPED');
    return Promise.resolve();
  }
  /** the run ends: EXITED, as the lifecycle reports it. */
  set(state: string): void {
    const from = this.instanceState;
    this.instanceState = state;
    this.events.write({ level: 'info', vassal: this.name, instance: 0, state, from });
  }
}

function rig(overlap: Overlap, cron = '*/10 * * * * *', catchUp = false, lastRun: number | null = null) {
  const time = new FakeTime();
  const lines: string[] = [];
  const events = new EventLog('text', (l) => lines.push(l));
  const job = new FakeJob('backup', { schedule: cron, scheduleTimezone: 'UTC', overlap, catchUp }, events);
  const plain = new FakeJob('web', { schedule: null, scheduleTimezone: null, overlap: 'skip', catchUp: false }, events);
  const all = [job, plain];
  const runs = new Map<string, number>(lastRun === null ? [] : [['backup', lastRun]]);
  const scheduler = new Scheduler({
    time,
    events,
    vassals: () => all,
    vassal: (n) => all.find((v) => v.name === n),
    cron: (e, tz) => {
      const r = parseCron(e, tz);
      return r.ok ? r.value : null;
    },
    lastRuns: { get: (n) => runs.get(n) ?? null, set: (n, ms) => void runs.set(n, ms) },
  });
  scheduler.start();
  return { time, job, scheduler, lines, runs, events };
}

test('scheduler: STOPPED until the first time, a run at each time, next_run moves on', () => {
  const { time, job, scheduler, runs } = rig('skip');
  // WALL_EPOCH_MS is 22:13:20 UTC: the next */10 second is 10 s away.
  assert.equal(scheduler.nextRun('backup'), (WALL_EPOCH_MS + 10_000) / 1000);
  assert.equal(scheduler.nextRun('web'), null);
  time.advance(9999);
  assert.equal(job.starts, 0);
  time.advance(1);
  assert.equal(job.starts, 1);
  assert.equal(runs.get('backup'), WALL_EPOCH_MS + 10_000);
  assert.equal(scheduler.nextRun('backup'), (WALL_EPOCH_MS + 20_000) / 1000);
  job.set('EXITED');
  time.advance(10_000);
  assert.equal(job.starts, 2);
  scheduler.close();
});

test('scheduler: overlap = skip leaves the run going and says so; emperorctl run is refused', () => {
  const { time, job, scheduler, lines } = rig('skip');
  time.advance(10_000);
  time.advance(10_000);
  assert.equal(job.starts, 1);
  assert.ok(lines.some((l) => l.includes('run skipped')), lines.join(''));
  assert.deepEqual(scheduler.runNow('backup'), { ok: false, code: 'refused', message: 'backup is already running and has `overlap = skip`: not started again' });
  assert.deepEqual(scheduler.runNow('web'), { ok: false, code: 'refused', message: 'web has no `schedule`: use emperorctl start web' });
  assert.deepEqual(scheduler.runNow('nope'), { ok: false, code: 'unknown-vassal', message: 'no vassal named nope' });
  job.set('EXITED');
  assert.deepEqual(scheduler.runNow('backup'), { ok: true, message: 'started' });
  assert.equal(job.starts, 2);
  scheduler.close();
});

test('scheduler: overlap = queue starts one more run when the run ends', () => {
  const { time, job, scheduler } = rig('queue');
  time.advance(10_000);
  time.advance(10_000);
  time.advance(10_000);
  assert.equal(job.starts, 1, 'still the first run');
  job.set('EXITED');
  assert.equal(job.starts, 2, 'the queued run, once');
  job.set('EXITED');
  assert.equal(job.starts, 2);
  scheduler.close();
});

test('scheduler: overlap = kill stops the run and starts anew', async () => {
  const { time, job, scheduler } = rig('kill');
  time.advance(10_000);
  time.advance(10_000);
  await Promise.resolve();
  assert.equal(job.stops, 1);
  assert.equal(job.starts, 2);
  assert.equal(job.instanceState, 'RUNNING');
  scheduler.close();
});

test('scheduler: a time missed while the emperor was down runs at start only with catch-up = true', () => {
  const lastRun = WALL_EPOCH_MS - 3600_000;
  const missed = rig('skip', '0 * * * *', true, lastRun);
  assert.equal(missed.job.starts, 1, 'caught up');
  missed.scheduler.close();
  const not = rig('skip', '0 * * * *', false, lastRun);
  assert.equal(not.job.starts, 0, 'no catch-up without catch-up = true');
  not.scheduler.close();
  const never = rig('skip', '0 * * * *', true, null);
  assert.equal(never.job.starts, 0, 'a job that never ran has nothing to catch up');
  never.scheduler.close();
});

test('a scheduled run that exits, however fast and with whatever code, is EXITED, never a failed start', () => {
  const policy: LifecyclePolicy = { restart: 'never', exitCodes: [0], startSecs: 1000, startRetries: 0, backoff: 1000, backoffMax: 60_000, stopSignal: 'SIGTERM', stopTimeout: 10_000, healthCheck: false, healthRetries: 3, oneShot: true };
  for (const code of [0, 3]) {
    const ctx = { now: 0, random: 0.5, policy };
    let inst = transition(initialInstance(), { type: 'start' }, ctx).next;
    inst = transition(inst, { type: 'spawned', pid: 10 }, ctx).next;
    const t = transition(inst, { type: 'exited', code, signal: null, groupAlive: false }, { ...ctx, now: 5 });
    assert.equal(t.next.state, 'EXITED', `code ${code}`);
    assert.equal(t.next.failures, 0);
  }
  const service = { now: 5, random: 0.5, policy: { ...policy, oneShot: undefined } };
  let inst = transition(initialInstance(), { type: 'start' }, service).next;
  inst = transition(inst, { type: 'spawned', pid: 10 }, service).next;
  assert.equal(transition(inst, { type: 'exited', code: 3, signal: null, groupAlive: false }, service).next.state, 'BACKOFF', 'a service is unchanged');
});

test('schedule keys: defaults, and each bad input a located error', () => {
  const parse = (body: string) => parseVassalFile('/v/job.ini', `[vassal]\ncommand = x\n${body}`, {});
  const ok = parse('schedule = 30 2 * * *\nschedule-timezone = Europe/Paris\noverlap = queue\ncatch-up = yes\n');
  assert.deepEqual(ok.problems, []);
  const spec = ok.vassals[0];
  assert.equal(spec?.schedule, '30 2 * * *');
  assert.equal(spec?.scheduleTimezone, 'Europe/Paris');
  assert.equal(spec?.overlap, 'queue');
  assert.equal(spec?.catchUp, true);
  assert.equal(spec?.autostart, false, 'STOPPED until its first run');
  assert.equal(spec?.restart, 'never');
  const errors = (body: string): string[] => parse(body).problems.map(formatProblem);
  assert.match(errors('schedule = 61 * * * *\n')[0] ?? '', /^\/v\/job\.ini:3: `schedule`: not a cron expression \(Invalid value for minute: 61\)/);
  assert.match(errors('schedule = @daily\nschedule-timezone = Mars/Olympus\n')[0] ?? '', /^\/v\/job\.ini:4: `schedule-timezone`: unknown timezone `Mars\/Olympus`/);
  assert.match(errors('schedule = @daily\noverlap = wait\n')[0] ?? '', /^\/v\/job\.ini:4: `overlap`: expected `skip`, `queue` or `kill`/);
  assert.match(errors('schedule = @daily\ncatch-up = maybe\n')[0] ?? '', /^\/v\/job\.ini:4: `catch-up`:/);
  assert.match(errors('schedule = @daily\nrestart = always\n')[0] ?? '', /^\/v\/job\.ini:4: `restart = always` cannot be combined with `schedule`/);
  assert.match(errors('overlap = kill\n')[0] ?? '', /^\/v\/job\.ini:3: warning: `overlap` has no effect without `schedule`/);
});

test('scheduler: an edited schedule is armed anew once the change is applied; a removed one drops next_run', () => {
  const { time, job, scheduler, events } = rig('skip');
  job.spec = { schedule: '0 0 * * *', scheduleTimezone: 'UTC', overlap: 'skip', catchUp: false };
  events.write({ level: 'info', vassal: 'backup', message: 'file changed (supervision): /v/backup.ini' });
  time.advance(0);
  // 2023-11-15T00:00:00Z is the next midnight after 22:13:20.
  assert.equal(scheduler.nextRun('backup'), Date.parse('2023-11-15T00:00:00Z') / 1000);
  job.spec = { schedule: null, scheduleTimezone: null, overlap: 'skip', catchUp: false };
  events.write({ level: 'info', vassal: 'backup', message: 'file changed (supervision): /v/backup.ini' });
  time.advance(0);
  assert.equal(scheduler.nextRun('backup'), null);
  time.advance(86_400_000);
  assert.equal(job.starts, 0);
  scheduler.close();
});

test('scheduler: catch-up also applies to a job first seen after start (the emperor reads its directory after the scheduler starts)', () => {
  const time = new FakeTime();
  const events = new EventLog('text', () => {});
  const all: FakeJob[] = [];
  const scheduler = new Scheduler({
    time,
    events,
    vassals: () => all,
    vassal: (n) => all.find((v) => v.name === n),
    cron: (e, tz) => {
      const r = parseCron(e, tz);
      return r.ok ? r.value : null;
    },
    lastRuns: { get: () => WALL_EPOCH_MS - 3600_000, set: () => {} },
  });
  scheduler.start();
  const job = new FakeJob('backup', { schedule: '0 * * * *', scheduleTimezone: 'UTC', overlap: 'skip', catchUp: true }, events);
  all.push(job);
  events.write({ level: 'info', vassal: 'backup', message: 'found /v/backup.ini' });
  time.advance(0);
  assert.equal(job.starts, 1);
  events.write({ level: 'info', vassal: 'backup', message: 'file changed (touch): /v/backup.ini' });
  time.advance(0);
  assert.equal(job.starts, 1, 'once per job');
  scheduler.close();
});
