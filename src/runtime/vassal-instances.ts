// A vassal's instance runners by id: made, fed and forgotten as the vassal machine's effects say.
import { InstanceRunner } from './instance-runner.ts';
import type { Instance } from '../core/lifecycle.ts';
import type { InstanceId, VassalEffect } from '../core/vassal-machine.ts';
import type { VassalServices } from './vassal-services.ts';
import type { SpawnContext } from './instance-spawn.ts';
import { RunnerHost, SpecBook } from './instance-host.ts';

/** Reports a transition of instance `id` (the vassal writes its line and tells its machine). */
export type InstanceChanged = (id: InstanceId, runner: InstanceRunner, before: Instance, after: Instance, note: string | null) => void;

/** The effects on instances, by type. */
export type InstanceEffect = Extract<VassalEffect, { type: 'create' | 'dispatch' | 'signal' | 'inherit' | 'adopt-spec' | 'dispose' | 'release' }>;

/** Owns the runners of one vassal; carries out the effects that touch an instance. */
export class InstanceTable {
  private readonly runners = new Map<InstanceId, InstanceRunner>();
  readonly specs: SpecBook;

  constructor(
    private readonly services: VassalServices,
    private readonly spawning: SpawnContext,
    spec: () => ReturnType<SpecBook['current']>,
    private readonly changed: InstanceChanged,
  ) {
    this.specs = new SpecBook(spec);
  }

  /** The runner of `id`, if it is not forgotten. */
  get(id: InstanceId): InstanceRunner | undefined {
    return this.runners.get(id);
  }

  /** The runners of `ids` that exist, in that order. */
  pick(ids: readonly InstanceId[]): InstanceRunner[] {
    return ids.flatMap((id) => this.runners.get(id) ?? []);
  }

  /** Every instance's lifecycle state by id: the machine's context. */
  views(): Map<InstanceId, Readonly<Instance>> {
    return new Map([...this.runners].map(([id, r]) => [id, r.state]));
  }

  /** Carries out one effect on an instance; `keep`: the ids the vassal still lists (a disposed one stays listed). */
  apply(effect: InstanceEffect, keep: (id: InstanceId) => boolean): void {
    switch (effect.type) {
      case 'create':
        return this.create(effect.id, effect.index);
      case 'dispatch':
        return this.runners.get(effect.id)?.dispatch(effect.event);
      case 'signal':
        return void this.runners.get(effect.id)?.signalProcess(effect.signal);
      case 'inherit': {
        const from = this.runners.get(effect.from);
        if (from !== undefined) this.runners.get(effect.id)?.inherit(from);
        return;
      }
      case 'adopt-spec': {
        const runner = this.runners.get(effect.id);
        const spec = this.specs.current();
        if (runner !== undefined && spec !== null) this.specs.adopt(runner, spec);
        return;
      }
      case 'dispose':
        this.runners.get(effect.id)?.dispose();
        if (!keep(effect.id)) this.runners.delete(effect.id);
        return;
      case 'release':
        return this.runners.get(effect.id)?.release();
    }
  }

  /** A runner's transition, reported under its id (its host calls this). */
  report(id: InstanceId, runner: InstanceRunner, before: Instance, after: Instance, note: string | null): void {
    this.changed(id, runner, before, after, note);
  }

  // A runner for instance `index`, which reports its changes under `id`.
  private create(id: InstanceId, index: number): void {
    const host = new RunnerHost(this.services, this.spawning, this.specs, this, id);
    const runner = new InstanceRunner(index, host);
    host.runner = runner;
    this.runners.set(id, runner);
  }
}
