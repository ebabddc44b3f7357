// A vassal's rolling restart: its instances replaced one at a time, with `socket` each replacement first.
import { hasProcess } from '../core/states.ts';
import type { InstanceRunner } from './instance-runner.ts';
import type { VassalSpec } from '../config/spec.ts';
import type { EventLog } from './event-log.ts';

/** Slack over start-secs (and the health probes) before a replacement that is still STARTING counts as failed. */
export const REPLACEMENT_SLACK_MS = 1000;

/** What a rolling restart needs from its vassal. */
export interface RollHost {
  readonly name: string;
  readonly events: EventLog;
  spec(): VassalSpec | null;
  /** the instances now, in index order (retiring ones excluded). */
  instances(): readonly InstanceRunner[];
  /** a new runner for instance `index`, not an instance yet. */
  newRunner(index: number): InstanceRunner;
  /** puts `runner` in the place of instance `index`. */
  replace(index: number, runner: InstanceRunner): void;
  /** keeps `runner` until its process is gone; it is no instance any more. */
  retire(runner: InstanceRunner): void;
}

// A rolling restart in progress: instances still to replace, the one being replaced now, and whether
// replacements start first (with `socket`: old and new share the socket, so nothing stops serving).
interface Roll {
  queue: number[];
  current: number | null;
  surge: boolean;
}

// A replacement started beside the instance it replaces, which it takes over once RUNNING.
interface Replacement {
  index: number;
  runner: InstanceRunner;
  deadline: NodeJS.Timeout;
}

/**
 * Restarts a vassal's instances one at a time, each RUNNING before the next. With `socket`, each
 * replacement starts beside the instance it replaces, which stops once the replacement is RUNNING.
 */
export class RollingRestart {
  private roll: Roll | null = null;
  private replacement: Replacement | null = null;
  /** the process a replacement took over from, while it drains: the next replacement waits for it. */
  private draining: InstanceRunner | null = null;
  /** set while a stop dispatched from advance() runs: state changes it causes wait for advance to finish. */
  private advancing = false;
  /** a replacement until it takes over, and the process it replaced while that drains: pids, not instances. */
  private readonly surplus = new WeakSet<InstanceRunner>();
  /** why the last rolling restart stopped, if it did. */
  error: string | null = null;

  constructor(private readonly host: RollHost) {}

  /** The replacement starting beside an instance, if any: it may have a process. */
  get starting(): InstanceRunner | null {
    return this.replacement?.runner ?? null;
  }

  /** Whether `runner` is a replacement or a replaced process, which the vassal's state ignores. */
  isSurplus(runner: InstanceRunner): boolean {
    return this.surplus.has(runner);
  }

  /** Starts a rolling restart over every instance, in place of any in progress. */
  begin(): void {
    this.error = null;
    // A process still draining from the last roll counts: the next replacement waits for it too.
    // A replacement still starting runs the version before this one: it goes too.
    this.retireReplacement()?.dispatch({ type: 'stop' });
    const host = this.host;
    this.roll = { queue: host.instances().map((r) => r.index), current: null, surge: (host.spec()?.socket ?? null) !== null };
    this.advance();
  }

  /** Ends the roll; a replacement still starting joins the retiring (the caller stops every runner). */
  cancel(): void {
    this.roll = null;
    this.draining = null;
    this.retireReplacement();
  }

  /** Goes on with the roll when `runner` is the one it waits for (`retired`: it is retiring). */
  changed(runner: InstanceRunner, retired: boolean): void {
    if (this.draining === runner || this.replacement?.runner === runner || (!retired && this.roll !== null && this.roll.current === runner.index)) this.advance();
  }

  private advance(): void {
    if (this.advancing) return;
    const roll = this.roll;
    if (roll === null) return;
    const instances = this.host.instances();
    if (this.replacement !== null) {
      if (!this.settleReplacement(this.replacement)) return;
    }
    // At most one process beyond `instances` at any time: the next replacement starts once the
    // process the last one replaced has drained and exited.
    if (this.draining !== null) {
      if (hasProcess(this.draining.state.state)) return;
      this.draining = null;
    } else if (roll.current !== null) {
      const cur = instances[roll.current];
      const s = cur?.state.state;
      if (s === 'STARTING' || s === 'STOPPING') return;
      if (cur !== undefined && s !== 'RUNNING') {
        this.stop(`instance ${cur.index} did not start (${cur.state.error ?? s})`, roll.queue.length);
        return;
      }
    }
    for (let idx = roll.queue.shift(); idx !== undefined; idx = roll.queue.shift()) {
      const r = instances[idx];
      if (r === undefined) continue;
      const s = r.state.state;
      roll.current = idx;
      if (roll.surge && (s === 'RUNNING' || s === 'STARTING')) {
        this.startReplacement(idx);
        return;
      }
      r.dispatch({ type: 'restart' });
      // Only a live instance is waited for; a stopped or failed one just starts.
      if (s === 'RUNNING' || s === 'STARTING' || s === 'STOPPING') {
        if (r.state.state !== 'RUNNING') return;
      }
    }
    this.roll = null;
  }

  private stop(why: string, left: number): void {
    this.error = `rolling restart stopped: ${why}` +
      (left > 0 ? `; ${left} instance${left === 1 ? '' : 's'} still run${left === 1 ? 's' : ''} the previous version` : '');
    this.roll = null;
    this.host.events.write({ level: 'error', vassal: this.host.name, message: this.error });
  }

  // Starts a new process for instance `index` beside the old one; both take connections from the socket.
  private startReplacement(index: number): void {
    const runner = this.host.newRunner(index);
    this.surplus.add(runner);
    const spec = this.host.spec();
    const healthMs = spec?.healthCheck != null ? spec.healthRetries * (spec.healthInterval + spec.healthTimeout) : 0;
    const boundMs = (spec?.startSecs ?? 1000) + healthMs + REPLACEMENT_SLACK_MS;
    const deadline = setTimeout(() => {
      const r = this.replacement;
      if (r?.runner !== runner || runner.state.state === 'RUNNING') return;
      this.failReplacement(r, `not RUNNING ${(boundMs / 1000).toFixed(1)}s after its start (start-secs + health-retries x (health-interval + health-timeout) + 1s)${runner.state.error === null ? '' : `: ${runner.state.error}`}`);
    }, boundMs);
    deadline.unref();
    this.replacement = { index, runner, deadline };
    this.host.events.write({ level: 'info', vassal: this.host.name, instance: index, message: `rolling restart: starting a replacement beside pid ${this.host.instances()[index]?.state.pid ?? '-'}` });
    runner.dispatch({ type: 'start' });
  }

  // True once the replacement took over its index (the roll goes on); false while it starts or after it failed.
  private settleReplacement(rep: Replacement): boolean {
    const s = rep.runner.state.state;
    if (s === 'STARTING') return false;
    if (s !== 'RUNNING') {
      this.failReplacement(rep, rep.runner.state.error ?? s);
      return false;
    }
    this.takeReplacement();
    const old = this.host.instances()[rep.index];
    if (old === undefined) {
      // Its index went away (fewer instances): it is not needed.
      this.host.retire(rep.runner);
      rep.runner.dispatch({ type: 'stop' });
      return true;
    }
    this.host.replace(rep.index, rep.runner);
    this.surplus.delete(rep.runner);
    this.surplus.add(old);
    this.host.retire(old);
    this.host.events.write({
      level: 'info', vassal: this.host.name, instance: rep.index,
      message: `rolling restart: replacement pid ${rep.runner.state.pid ?? '-'} is RUNNING; stopping pid ${old.state.pid ?? '-'}`,
    });
    // Stopped first: an old instance with no process left (it had exited) is STOPPED at once, and
    // its change must not re-enter the roll while this one is still advancing.
    this.advancing = true;
    try {
      old.dispatch({ type: 'stop' });
    } finally {
      this.advancing = false;
    }
    if (hasProcess(old.state.state)) this.draining = old;
    return true;
  }

  private failReplacement(rep: Replacement, why: string): void {
    this.retireReplacement()?.dispatch({ type: 'stop' });
    this.stop(`the replacement of instance ${rep.index} failed (${why}); it was stopped`, (this.roll?.queue.length ?? 0) + 1);
  }

  // Ends the replacement in progress, if any: it takes over its index, or retires.
  private takeReplacement(): Replacement | null {
    const rep = this.replacement;
    if (rep !== null) clearTimeout(rep.deadline);
    this.replacement = null;
    return rep;
  }

  // A replacement that will not take over joins the retiring until its process is gone (the caller stops it).
  private retireReplacement(): InstanceRunner | null {
    const rep = this.takeReplacement();
    if (rep === null) return null;
    this.host.retire(rep.runner);
    return rep.runner;
  }
}
