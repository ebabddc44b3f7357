// Scheduled vassals: a timer per job to its next time (wall clock, through the time ports), the overlap
// rules of core/schedule-machine.ts, `emperorctl run`, and `catch-up` from the last run recorded.
import type { CronSchedule } from '../config/cron.ts';
import { jobStep, type JobState, type Overlap } from '../core/schedule-machine.ts';
import type { EventLog, LiveEvent } from './event-log.ts';
import type { TimePorts, TimerHandle } from './ports.ts';

/** A timer never waits longer than this in one go (setTimeout's limit is 24.8 days); it looks again. */
const MAX_WAIT_MS = 24 * 3600 * 1000;
/** States in which a run is under way. */
const RUNNING = new Set(['STARTING', 'RUNNING', 'BACKOFF', 'STOPPING']);

/** What the scheduler needs of a vassal. */
export interface SchedulableVassal {
  name: string;
  spec: { schedule: string | null; scheduleTimezone: string | null; overlap: Overlap; catchUp: boolean } | null;
  /** its instances' state (STOPPED, RUNNING...). */
  instanceState: string;
  start(): void;
  stop(): Promise<void>;
}

/** When each job last ran (a file in the state directory in production), for `catch-up`. */
export interface LastRuns {
  get(name: string): number | null;
  set(name: string, unixMs: number): void;
}

/** What the scheduler reaches. */
export interface SchedulerDeps {
  time: TimePorts;
  events: EventLog;
  vassals(): Iterable<SchedulableVassal>;
  vassal(name: string): SchedulableVassal | undefined;
  cron(expression: string, timezone: string | null): CronSchedule | null;
  lastRuns: LastRuns;
}

interface Job {
  key: string;
  cron: CronSchedule;
  nextMs: number | null;
  timer: TimerHandle | null;
  state: JobState;
}

/** `emperorctl run`'s answer. */
export type RunNowResult = { ok: true; message: string } | { ok: false; code: 'unknown-vassal' | 'refused'; message: string };

/** Owns the timers of every scheduled vassal. */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private unsubscribe: (() => void) | null = null;
  /** jobs armed since the emperor started: catch-up is looked at once per job. */
  private readonly armedOnce = new Set<string>();

  constructor(private readonly deps: SchedulerDeps) {}

  /** Arms the jobs there are and follows the event stream for new, changed and ended ones. */
  start(): void {
    this.unsubscribe ??= this.deps.events.subscribe((ev) => this.onEvent(ev));
    this.sync();
  }

  /** Drops every timer. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const job of this.jobs.values()) this.deps.time.timers.clearTimeout(job.timer);
    this.jobs.clear();
  }

  /** The next run of a job in Unix seconds, or null without a schedule. */
  nextRun(name: string): number | null {
    const ms = this.jobs.get(name)?.nextMs ?? null;
    return ms === null ? null : Math.round(ms / 1000);
  }

  /** Starts a run now (`emperorctl run NAME`). */
  runNow(name: string): RunNowResult {
    const v = this.deps.vassal(name);
    if (v === undefined) return { ok: false, code: 'unknown-vassal', message: `no vassal named ${name}` };
    const job = this.jobs.get(name);
    if (job === undefined) return { ok: false, code: 'refused', message: `${name} has no \`schedule\`: use emperorctl start ${name}` };
    const why = this.act(v, job, 'run-now', 'emperorctl run');
    if (why === 'refused') return { ok: false, code: 'refused', message: `${name} is already running and has \`overlap = skip\`: not started again` };
    return { ok: true, message: why === 'queued' ? 'queued: runs when the current run ends' : 'started' };
  }

  /** Arms new jobs, re-arms changed ones and drops those without a schedule. */
  sync(): void {
    const seen = new Set<string>();
    for (const v of this.deps.vassals()) {
      const spec = v.spec;
      if (spec === null || spec.schedule === null) continue;
      seen.add(v.name);
      const key = `${spec.schedule}\u0000${spec.scheduleTimezone ?? ''}`;
      const old = this.jobs.get(v.name);
      if (old?.key === key) continue;
      this.deps.time.timers.clearTimeout(old?.timer);
      const cron = this.deps.cron(spec.schedule, spec.scheduleTimezone);
      if (cron === null) continue;
      const job: Job = { key, cron, nextMs: null, timer: null, state: old?.state ?? { running: RUNNING.has(v.instanceState), queued: false } };
      this.jobs.set(v.name, job);
      if (!this.armedOnce.has(v.name)) {
        this.armedOnce.add(v.name);
        if (spec.catchUp) this.catchUp(v, job);
      }
      this.arm(v.name, job, this.deps.time.wallMs());
    }
    for (const [name, job] of this.jobs) {
      if (seen.has(name)) continue;
      this.deps.time.timers.clearTimeout(job.timer);
      this.jobs.delete(name);
    }
  }

  // A time missed while the emperor was down: one run now, with catch-up = true.
  private catchUp(v: SchedulableVassal, job: Job): void {
    const last = this.deps.lastRuns.get(v.name);
    if (last === null) return;
    const missed = job.cron.next(new Date(last));
    if (missed !== null && missed.getTime() <= this.deps.time.wallMs()) this.act(v, job, 'due', `catch-up: missed ${missed.toISOString()}`);
  }

  private arm(name: string, job: Job, afterMs: number): void {
    const next = job.cron.next(new Date(afterMs));
    job.nextMs = next === null ? null : next.getTime();
    if (job.nextMs === null) return;
    const wait = Math.min(Math.max(0, job.nextMs - this.deps.time.wallMs()), MAX_WAIT_MS);
    job.timer = this.deps.time.timers.setTimeout(() => this.fire(name, job), wait);
    job.timer.unref?.();
  }

  private fire(name: string, job: Job): void {
    if (this.jobs.get(name) !== job || job.nextMs === null) return;
    const due = job.nextMs;
    // A long wait is taken in steps; the wall clock may also have moved.
    if (this.deps.time.wallMs() < due) return this.arm(name, job, due - 1);
    const v = this.deps.vassal(name);
    if (v !== undefined) this.act(v, job, 'due', `scheduled for ${new Date(due).toISOString()}`);
    this.arm(name, job, Math.max(due, this.deps.time.wallMs()));
  }

  private act(v: SchedulableVassal, job: Job, type: 'due' | 'run-now', why: string): string {
    const step = jobStep({ ...job.state, running: RUNNING.has(v.instanceState) }, { type }, v.spec?.overlap ?? 'skip');
    job.state = step.state;
    const a = step.action;
    const say = (level: 'info' | 'warn', message: string): void => this.deps.events.write({ level, vassal: v.name, message });
    if (a.type === 'none') {
      if (a.why === 'skipped') say('warn', `run skipped (${why}): the last run is still going (overlap = skip)`);
      if (a.why === 'queued') say('info', `run queued (${why}): starts when the last run ends (overlap = queue)`);
      return a.why;
    }
    this.deps.lastRuns.set(v.name, this.deps.time.wallMs());
    if (a.type === 'start') {
      say('info', `run (${why})`);
      v.start();
      return 'started';
    }
    say('warn', `run (${why}): the last run is still going; stopping it first (overlap = kill)`);
    void v.stop().then(() => v.start());
    return 'started';
  }

  // A run that ends starts the queued one.
  private onEvent(ev: LiveEvent): void {
    if (ev.vassal === undefined) return;
    // The line comes before the change is applied: look once it is.
    if (ev.message !== undefined && /^(found |file changed|removed$)/.test(ev.message)) {
      this.deps.time.timers.setTimeout(() => this.sync(), 0);
      return;
    }
    const job = this.jobs.get(ev.vassal);
    if (job === undefined || ev.instance === undefined || ev.state === undefined) return;
    if (RUNNING.has(ev.state) || ev.from === undefined || !RUNNING.has(ev.from)) return;
    const v = this.deps.vassal(ev.vassal);
    if (v === undefined || RUNNING.has(v.instanceState)) return;
    const step = jobStep(job.state, { type: 'ended' }, v.spec?.overlap ?? 'skip');
    job.state = step.state;
    if (step.action.type === 'start') {
      this.deps.events.write({ level: 'info', vassal: v.name, message: 'run (queued)' });
      this.deps.lastRuns.set(v.name, this.deps.time.wallMs());
      v.start();
    }
  }
}
