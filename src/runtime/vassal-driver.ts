// Runs the vassal machine: feeds it events one at a time and carries out the effects it asks for.
import { initialVassal, vassalTransition, type VassalEffect, type VassalEvent, type VassalState } from '../core/vassal-machine.ts';
import { everyId } from '../core/vassal-steps.ts';
import type { VassalSpec } from '../config/spec.ts';
import type { VassalServices } from './vassal-services.ts';
import type { InstanceTable } from './vassal-instances.ts';
import { RollDeadline } from './vassal-roll.ts';

/** What the driver asks of its vassal (the vassal itself) beyond the services: its spec of now and its missing dependencies. */
export interface DriverHost {
  readonly name: string;
  readonly spec: VassalSpec | null;
  missingDependencies(): string[];
  /** tells the fleet the vassal changed. */
  report(): void;
}

/** The vassal machine's state and its one runner: events raised while effects run are queued, never re-entered. */
export class VassalDriver {
  /** what the vassal level knows: intent, dependencies, instances by id, the roll (src/core/vassal-machine.ts). */
  state: VassalState = initialVassal();
  /** events raised while one is handled; null while none waits (an empty array is 32 bytes a vassal). */
  private queue: VassalEvent[] | null = null;
  private busy = false;
  /** made with the first roll: most vassals never roll. */
  private deadline: RollDeadline | null = null;
  /** resolved by the machine's `quiet` effect. */
  private quietWaiters: Array<() => void> | null = null;

  constructor(
    private readonly host: DriverHost,
    private readonly services: VassalServices,
    private readonly table: InstanceTable,
  ) {}

  /** Feeds one event to the machine (after those already queued). */
  send(ev: VassalEvent): void {
    (this.queue ??= []).push(ev);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue?.shift()) {
        const t = vassalTransition(this.state, next, { spec: this.host.spec, instances: this.table.views() });
        this.state = t.state;
        for (const effect of t.effects) this.apply(effect);
      }
    } finally {
      this.busy = false;
      // Drained: none, as a drained array keeps the room it grew to for the vassal's life.
      if (this.queue?.length === 0) this.queue = null;
    }
  }

  /** Resolves once no instance has a process (the machine says when). */
  whenQuiet(): Promise<void> {
    const quiet = new Promise<void>((resolve) => (this.quietWaiters ??= []).push(resolve));
    this.send({ type: 'await-quiet' });
    return quiet;
  }

  private apply(effect: VassalEffect): void {
    switch (effect.type) {
      case 'check-dependencies':
        return this.send({ type: 'dependencies', missing: this.host.missingDependencies() });
      case 'set-timer':
        this.deadline ??= new RollDeadline(this.services.timers, (id) => this.send({ type: 'roll-deadline', id }));
        return this.deadline.set(effect.id, effect.ms);
      case 'clear-timer':
        return this.deadline?.clear();
      case 'quiet': {
        const waiters = this.quietWaiters ?? [];
        this.quietWaiters = null;
        for (const w of waiters) w();
        return;
      }
      case 'report':
        return this.host.report();
      case 'event': {
        const { level, instance, message } = effect.line;
        const vassal = this.host.name;
        return this.services.events.write(instance === undefined ? { level, vassal, message } : { level, vassal, instance, message });
      }
      default:
        return this.table.apply(effect, (id) => everyId(this.state).includes(id));
    }
  }
}
