// The vassal machine driven by hand: fake instances whose states a test sets, effects carried out as data.
import { initialVassal, vassalTransition, type VassalEffect, type VassalEvent, type VassalState } from '../../../src/core/vassal-machine.ts';
import { initialInstance, type Instance, type LifecycleEvent } from '../../../src/core/lifecycle.ts';
import { hasProcess, type InstanceStateName } from '../../../src/core/states.ts';
import type { VassalSpec } from '../../../src/config/spec.ts';

/** One instance as the machine sees it, moved by hand (`set`) or by the events the machine dispatches. */
export interface FakeInstance {
  id: number;
  index: number;
  state: Instance;
  events: LifecycleEvent['type'][];
  set(s: InstanceStateName, fields?: Partial<Instance>): void;
}

/** A machine with fake instances: every effect is recorded, instance effects move the fakes. */
export class MachineFleet {
  st: VassalState = initialVassal();
  readonly all: FakeInstance[] = [];
  readonly byId = new Map<number, FakeInstance>();
  readonly effects: VassalEffect[] = [];
  private readonly queue: VassalEvent[] = [];
  private busy = false;
  private pid = 100;
  /** what `check-dependencies` answers. */
  missing: string[] = [];

  constructor(public spec: VassalSpec | null) {}

  /** The instances in index order. */
  get runners(): FakeInstance[] {
    return this.st.slots.map((id) => this.fake(id));
  }

  /** The replacement starting, if any. */
  get starting(): FakeInstance | null {
    return this.st.replacement === null ? null : this.fake(this.st.replacement.id);
  }

  /** Fakes with a process. */
  live(): number {
    return this.all.filter((f) => hasProcess(f.state.state)).length;
  }

  /** Fakes with a process that the vassal lists nowhere. */
  untracked(): FakeInstance[] {
    const known = new Set([...this.st.slots, ...this.st.retiring, ...(this.st.replacement === null ? [] : [this.st.replacement.id])]);
    return this.all.filter((f) => hasProcess(f.state.state) && !known.has(f.id));
  }

  /** Event lines written, in order. */
  lines(): string[] {
    return this.effects.flatMap((e) => (e.type === 'event' ? [e.line.message] : []));
  }

  /** Feeds one event; events raised meanwhile are queued, as the runtime does. */
  send(ev: VassalEvent): void {
    this.queue.push(ev);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        const instances = new Map([...this.byId].map(([id, f]) => [id, f.state]));
        const t = vassalTransition(this.st, next, { spec: this.spec, instances });
        this.st = t.state;
        for (const e of t.effects) this.apply(e);
      }
    } finally {
      this.busy = false;
    }
  }

  /** The fake of `id`. */
  fake(id: number): FakeInstance {
    const f = this.byId.get(id);
    if (f === undefined) throw new Error(`no instance ${id}`);
    return f;
  }

  private apply(e: VassalEffect): void {
    this.effects.push(e);
    switch (e.type) {
      case 'create':
        return this.create(e.id, e.index);
      case 'dispatch':
        return this.move(this.fake(e.id), e.event);
      case 'check-dependencies':
        return this.send({ type: 'dependencies', missing: [...this.missing] });
      case 'dispose':
        this.byId.delete(e.id);
        return;
      default:
        return;
    }
  }

  private create(id: number, index: number): void {
    const f: FakeInstance = {
      id,
      index,
      state: initialInstance(),
      events: [],
      set: (s, fields = {}) => {
        f.state = { ...f.state, state: s, pid: hasProcess(s) ? (f.state.pid ?? this.pid++) : null, ...fields };
        if (this.byId.has(id)) this.send({ type: 'instance-changed', id });
      },
    };
    this.all.push(f);
    this.byId.set(id, f);
  }

  // What a lifecycle does at once with the events the machine sends (processes end only by hand).
  private move(f: FakeInstance, ev: LifecycleEvent): void {
    f.events.push(ev.type);
    const s = f.state.state;
    if (ev.type === 'start' && !hasProcess(s)) f.set('STARTING');
    else if (ev.type === 'restart') f.set(s === 'RUNNING' || s === 'STARTING' ? 'STOPPING' : s === 'STOPPING' ? 'STOPPING' : 'STARTING');
    else if (ev.type === 'stop') {
      if (s === 'RUNNING' || s === 'STARTING') f.set('STOPPING');
      else if (s === 'BACKOFF' || s === 'EXITED' || s === 'FATAL') f.set('STOPPED');
    }
  }
}
