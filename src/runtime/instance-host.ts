// What a vassal supplies each of its instance runners: the policy and health check of its spec, spawns, change reports.
import type { InstanceHost, InstanceRunner } from './instance-runner.ts';
import type { Instance, LifecyclePolicy } from '../core/lifecycle.ts';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import type { VassalServices } from './vassal-services.ts';
import { spawnInstance, type SpawnContext } from './instance-spawn.ts';

/** The vassal side of its runners' hosts. */
export interface HostSource {
  readonly services: VassalServices;
  /** the spec of now (null while the file was never usable). */
  spec(): VassalSpec | null;
  /** the spec each instance's process was started from: an instance not yet replaced keeps its health check. */
  readonly startedFrom: WeakMap<InstanceRunner, VassalSpec>;
  readonly spawning: SpawnContext;
  changed(runner: InstanceRunner, before: Instance, after: Instance, note: string | null): void;
}

/** The host of one runner; `self` is that runner once it exists. */
export function instanceHost(v: HostSource, self: () => InstanceRunner | null): InstanceHost {
  const s = v.services;
  return {
    clock: s.clock,
    timers: s.timers,
    random: s.random,
    policy: () => policyOf(v.spec()),
    spawn: (i) => {
      const spec = v.spec();
      if (spec === null) return { error: 'no usable vassal file' };
      const runner = self();
      if (runner !== null) v.startedFrom.set(runner, spec);
      return spawnInstance(v.spawning, spec, i);
    },
    trackGroup: (g) => s.guardian.track(g),
    untrackGroup: (g) => s.guardian.untrack(g),
    healthTarget: (i) => {
      const runner = self();
      const from = runner === null ? undefined : v.startedFrom.get(runner);
      const check = from !== undefined ? from.healthCheck : (v.spec()?.healthCheck ?? null);
      return check === null ? null : expandInstance(check, i);
    },
    healthTiming: () => ({ intervalMs: v.spec()?.healthInterval ?? 10000, timeoutMs: v.spec()?.healthTimeout ?? 2000 }),
    probe: (t, ms) => s.probe(t, ms),
    changed: (_i, before, after, note) => {
      const runner = self();
      if (runner !== null) v.changed(runner, before, after, note);
    },
  };
}

/** The lifecycle policy of a spec (defaults while there is none). */
export function policyOf(spec: VassalSpec | null): LifecyclePolicy {
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
  };
}
