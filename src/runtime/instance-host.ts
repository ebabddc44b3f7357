// What a vassal supplies each of its instance runners: the policy and health check of its spec, spawns, change reports.
import type { InstanceHost, InstanceRunner } from './instance-runner.ts';
import type { Instance, LifecyclePolicy } from '../core/lifecycle.ts';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import type { VassalServices } from './vassal-services.ts';
import { spawnInstance, type SpawnContext } from './instance-spawn.ts';
import { failed } from '../core/errors.ts';
import { readinessPolicy } from './readiness-policy.ts';

/** The spec of now, and the one each instance's process was started from (its health check stays that one's). */
export class SpecBook {
  private readonly from = new WeakMap<InstanceRunner, VassalSpec>();

  constructor(private readonly now: () => VassalSpec | null) {}

  /** The spec of now (null while the file was never usable). */
  current(): VassalSpec | null {
    return this.now();
  }

  /** `runner`'s process follows `spec` from now on (it was spawned from it, or took its supervision keys). */
  adopt(runner: InstanceRunner, spec: VassalSpec): void {
    this.from.set(runner, spec);
  }

  /** The spec `runner`'s process was started from, or the spec of now. */
  of(runner: InstanceRunner | null): VassalSpec | null {
    return (runner === null ? undefined : this.from.get(runner)) ?? this.now();
  }
}

/** The host of one runner; `self` is that runner once it exists, `changed` hears of its transitions. */
export function instanceHost(
  services: VassalServices,
  spawning: SpawnContext,
  specs: SpecBook,
  changed: (before: Instance, after: Instance, note: string | null) => void,
  self: () => InstanceRunner | null,
): InstanceHost {
  return {
    clock: services.clock,
    timers: services.timers,
    random: services.random,
    policy: () => policyOf(specs.current(), services.uwsgiHeartbeatMs, services.readiness?.pipesAvailable ?? true),
    spawn: (i) => {
      const spec = specs.current();
      if (spec === null) return failed('E_FILE_INVALID', 'no usable vassal file');
      const runner = self();
      if (runner !== null) specs.adopt(runner, spec);
      return spawnInstance(spawning, spec, i);
    },
    trackGroup: (g) => services.guardian.track(g),
    untrackGroup: (g) => services.guardian.untrack(g),
    healthTarget: (i) => {
      const check = specs.of(self())?.healthCheck ?? null;
      return check === null ? null : expandInstance(check, i);
    },
    healthTiming: () => ({ intervalMs: specs.current()?.healthInterval ?? 10000, timeoutMs: specs.current()?.healthTimeout ?? 2000 }),
    probe: (t, ms) => services.probe(t, ms),
    changed: (_i, before, after, note) => changed(before, after, note),
  };
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
  };
}
