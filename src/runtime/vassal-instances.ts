// A vassal's instance runners by id: made, fed and forgotten as the vassal machine's effects say.
import { InstanceRunner } from './instance-runner.ts';
import type { Instance } from '../core/lifecycle.ts';
import type { InstanceId, VassalEffect } from '../core/vassal-machine.ts';
import type { VassalServices } from './vassal-services.ts';
import type { SpawnContext } from './instance-spawn.ts';
import { RunnerHost, SpecBook } from './instance-host.ts';
import type { VassalSpec } from '../config/spec.ts';
import { VassalSocket } from './vassal-socket.ts';

/** Reports a transition of instance `id` (the vassal writes its line and tells its machine). */
export type InstanceChanged = (id: InstanceId, runner: InstanceRunner, before: Instance, after: Instance, note: string | null) => void;

/** The effects on instances, by type. */
export type InstanceEffect = Extract<VassalEffect, { type: 'create' | 'dispatch' | 'signal' | 'inherit' | 'adopt-spec' | 'dispose' | 'release' }>;

/**
 * The vassal a table belongs to: its spec of now, and who hears its instances' transitions. The vassal
 * itself, rather than two closures and their scope (some 150 bytes a vassal).
 */
export interface TableOwner {
  readonly name: string;
  readonly spec: VassalSpec | null;
  readonly output: SpawnContext['output'];
  readonly logs: SpawnContext['logs'];
  instanceChanged: InstanceChanged;
}

/**
 * Owns the runners of one vassal; carries out the effects that touch an instance. It is their spec book
 * and what their spawns borrow from the vassal too (an object of its own for each was 40 and 64 bytes),
 * and it holds the vassal's listening socket, made only for a spec with one.
 */
export class InstanceTable extends SpecBook implements SpawnContext {
  // Most vassals have one instance: it is kept in two fields, and a Map (some 180 bytes) is made only for a second.
  private oneId: InstanceId = -1;
  private one: InstanceRunner | null = null;
  private more: Map<InstanceId, InstanceRunner> | null = null;
  /** the vassal's listening socket, made when a spec first has a `socket`: most vassals have none. */
  private held: VassalSocket | null = null;

  constructor(
    readonly services: VassalServices,
    protected override readonly owner: TableOwner,
  ) {
    super(owner);
  }

  get name(): string {
    return this.owner.name;
  }

  /** Itself: it holds the vassal's socket, made on first need. */
  get socket(): SpawnContext['socket'] {
    return this;
  }

  /** The socket for `spec` (see VassalSocket.acquire); none made for a spec without one. */
  acquire(spec: VassalSpec): ReturnType<VassalSocket['acquire']> {
    if (spec.socket === null && this.held === null) return { fd: null, ready: null };
    return (this.held ??= new VassalSocket(this.services.openSocket)).acquire(spec);
  }

  /** Whether `fd` is the socket held now, listening. */
  holds(fd: number): boolean {
    return this.held?.holds(fd) ?? false;
  }

  /** Closes the socket, if it has one (the vassal is gone). */
  closeSocket(): void {
    this.held?.close();
  }

  get logs(): SpawnContext['logs'] {
    return this.owner.logs;
  }

  /** Itself: a spawn's output reaches the vassal's ring through it, so a ring is made only by a first line. */
  get output(): SpawnContext['output'] {
    return this;
  }

  /** Lines a child printed, into the vassal's ring. */
  push(text: string): void {
    this.owner.output.push(text);
  }

  /** The runner of `id`, if it is not forgotten. */
  get(id: InstanceId): InstanceRunner | undefined {
    if (this.one !== null && this.oneId === id) return this.one;
    return this.more?.get(id);
  }

  /** The runners of `ids` that exist, in that order. */
  pick(ids: readonly InstanceId[]): InstanceRunner[] {
    // A loop, not flatMap: a stats request picks three times per vassal.
    const out: InstanceRunner[] = [];
    for (const id of ids) {
      const r = this.get(id);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** Every instance's lifecycle state by id: the machine's context. */
  views(): Map<InstanceId, Readonly<Instance>> {
    const out = new Map<InstanceId, Readonly<Instance>>();
    if (this.one !== null) out.set(this.oneId, this.one.state);
    for (const [id, r] of this.more ?? []) out.set(id, r.state);
    return out;
  }

  /** Carries out one effect on an instance; `keep`: the ids the vassal still lists (a disposed one stays listed). */
  apply(effect: InstanceEffect, keep: (id: InstanceId) => boolean): void {
    switch (effect.type) {
      case 'create':
        return this.create(effect.id, effect.index);
      case 'dispatch':
        return this.get(effect.id)?.dispatch(effect.event);
      case 'signal':
        return void this.get(effect.id)?.signalProcess(effect.signal);
      case 'inherit': {
        const from = this.get(effect.from);
        if (from !== undefined) this.get(effect.id)?.inherit(from);
        return;
      }
      case 'adopt-spec': {
        const runner = this.get(effect.id);
        const spec = this.current();
        if (runner !== undefined && spec !== null) this.adopt(runner, spec);
        return;
      }
      case 'dispose':
        this.get(effect.id)?.dispose();
        if (!keep(effect.id)) this.forget(effect.id);
        return;
      case 'release':
        return this.get(effect.id)?.release();
    }
  }

  /** A runner's transition, reported under its id (its host calls this). */
  report(id: InstanceId, runner: InstanceRunner, before: Instance, after: Instance, note: string | null): void {
    this.owner.instanceChanged(id, runner, before, after, note);
  }

  // A runner for instance `index`, which reports its changes under `id`.
  private create(id: InstanceId, index: number): void {
    const host = new RunnerHost(this, id);
    const runner = new InstanceRunner(index, host);
    host.runner = runner;
    if (this.one === null || this.oneId === id) {
      this.oneId = id;
      this.one = runner;
    } else (this.more ??= new Map()).set(id, runner);
  }

  private forget(id: InstanceId): void {
    if (this.one !== null && this.oneId === id) {
      this.one = null;
      this.oneId = -1;
    } else {
      this.more?.delete(id);
      if (this.more?.size === 0) this.more = null;
    }
  }
}
