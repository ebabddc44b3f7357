// What a vassal supplies each of its instance runners: the policy and health check of its spec, spawns, change reports.
import type { InstanceHost, InstanceRunner } from './instance-runner.ts';
import type { Instance, LifecyclePolicy } from '../core/lifecycle.ts';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import type { VassalServices } from './vassal-services.ts';
import { spawnInstance, type SpawnContext } from './instance-spawn.ts';
import { failed } from '../core/errors.ts';
import type { Clock } from './clock.ts';
import type { InstanceId } from '../core/vassal-machine.ts';
import type { Random, Timers } from './ports.ts';
import type { ProbeResult } from '../io/health-probe.ts';
import { readinessPolicy } from './readiness-policy.ts';

// The spec each runner's process was started from, for every vassal's runners.
const STARTED_FROM = new WeakMap<InstanceRunner, VassalSpec>();

/**
 * The spec of now, and the one each instance's process was started from (its health check stays that one's).
 * The instance table is one (a class of its own per vassal was 40 bytes more).
 */
export class SpecBook {
  /** `owner`: the vassal, whose spec of now is read at each use. */
  constructor(protected readonly owner: { readonly spec: VassalSpec | null }) {}

  /** The spec of now (null while the file was never usable). */
  current(): VassalSpec | null {
    return this.owner.spec;
  }

  /** `runner`'s process follows `spec` from now on (it was spawned from it, or took its supervision keys). */
  adopt(runner: InstanceRunner, spec: VassalSpec): void {
    // One table for every vassal (a runner is one vassal's): a WeakMap each would cost ~140 bytes per vassal.
    STARTED_FROM.set(runner, spec);
  }

  /** The spec `runner`'s process was started from, or the spec of now. */
  of(runner: InstanceRunner | null): VassalSpec | null {
    return (runner === null ? undefined : STARTED_FROM.get(runner)) ?? this.owner.spec;
  }
}

/** Hears a transition of runner `id` (the instance table: it reports it under that id). */
export interface HostChanged {
  report(id: InstanceId, runner: InstanceRunner, before: Instance, after: Instance, note: string | null): void;
}

/** What a runner's host asks of its table (the instance table is all of it): services, spawns, specs, reports. */
export type RunnerTable = SpawnContext & HostChanged & Pick<SpecBook, 'current' | 'adopt' | 'of'> & { readonly services: VassalServices };

/**
 * The host of one runner: one object with methods (no closures per instance, as there are thousands).
 * `runner` is set once that runner exists; `changed` hears of its transitions.
 */
export class RunnerHost implements InstanceHost {
  runner: InstanceRunner | null = null;

  constructor(
    private readonly table: RunnerTable,
    private readonly id: InstanceId,
  ) {}

  private get services(): VassalServices {
    return this.table.services;
  }

  get clock(): Clock {
    return this.services.clock;
  }

  get timers(): Timers {
    return this.services.timers;
  }

  get random(): Random {
    return this.services.random;
  }

  policy(): LifecyclePolicy {
    return policyOf(this.table.current(), this.services.uwsgiHeartbeatMs, this.services.readiness?.pipesAvailable ?? true);
  }

  spawn(i: number): ReturnType<InstanceHost['spawn']> {
    const spec = this.table.current();
    if (spec === null) return failed('E_FILE_INVALID', 'no usable vassal file');
    if (this.runner !== null) this.table.adopt(this.runner, spec);
    return spawnInstance(this.table, spec, i);
  }

  trackGroup(g: number): void {
    this.services.guardian.track(g);
  }

  untrackGroup(g: number): void {
    this.services.guardian.untrack(g);
  }

  healthTarget(i: number): string | null {
    const check = this.table.of(this.runner)?.healthCheck ?? null;
    return check === null ? null : expandInstance(check, i);
  }

  healthTiming(): { intervalMs: number; timeoutMs: number } {
    return { intervalMs: this.table.current()?.healthInterval ?? 10000, timeoutMs: this.table.current()?.healthTimeout ?? 2000 };
  }

  probe(t: string, ms: number): Promise<ProbeResult> {
    return this.services.probe(t, ms);
  }

  changed(_i: number, before: Instance, after: Instance, note: string | null): void {
    if (this.runner !== null) this.table.report(this.id, this.runner, before, after, note);
  }
}

/** The lifecycle policy of a spec (defaults while there is none). */
export function policyOf(spec: VassalSpec | null, uwsgiHeartbeatMs?: number, uwsgiPipes = true): LifecyclePolicy {
  return {
    restart: spec?.restart ?? 'always',
    exitCodes: spec?.exitCodes ?? [0],
    // A daemon is RUNNING once its pidfile names it; its start-secs bounds the wait for the pidfile.
    startSecs: spec?.pidfile != null ? 0 : (spec?.startSecs ?? 1000),
    startRetries: spec?.startRetries ?? 0,
    backoff: spec?.backoff ?? 1000,
    backoffMax: spec?.backoffMax ?? 60000,
    stopSignal: spec?.stopSignal ?? 'SIGTERM',
    stopTimeout: spec?.stopTimeout ?? 10000,
    healthCheck: (spec?.healthCheck ?? null) !== null,
    healthRetries: spec?.healthRetries ?? 3,
    ...readinessPolicy(spec, uwsgiHeartbeatMs, uwsgiPipes),
    ...(spec?.schedule != null ? { oneShot: true } : {}),
  };
}
