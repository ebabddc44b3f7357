// A vassal's rolling restart at run time: the deadline of the replacement starting, on the timer port.
// What a roll does is decided by the vassal machine (src/core/vassal-roll-steps.ts).
import type { Timers, TimerHandle } from './ports.ts';
import type { InstanceId } from '../core/vassal-machine.ts';

export { REPLACEMENT_SLACK_MS } from '../core/vassal-machine.ts';

/** The one roll deadline a vassal holds: set for a replacement, cleared when it settles or the roll ends. */
export class RollDeadline {
  private handle: TimerHandle | null = null;

  constructor(
    private readonly timers: Timers,
    private readonly expired: (id: InstanceId) => void,
  ) {}

  /** Arms the deadline of replacement `id` (in place of any other). */
  set(id: InstanceId, ms: number): void {
    this.clear();
    const handle = this.timers.setTimeout(() => {
      if (this.handle !== handle) return;
      this.handle = null;
      this.expired(id);
    }, ms);
    handle.unref?.();
    this.handle = handle;
  }

  /** Disarms it. */
  clear(): void {
    this.timers.clearTimeout(this.handle);
    this.handle = null;
  }
}
