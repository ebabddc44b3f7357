// One process an instance runner started, kept until nothing of its group is left: the guardian is
// told of the group while it lives and forgets it once it is empty.
import { GROUP_POLL_MS } from '../core/lifecycle.ts';
import type { Supervised } from './supervised.ts';
import type { Timers } from './ports.ts';

/** Who must know of a guarded group: the guardian, through the runner's host. */
export interface GroupKeeper {
  timers: Timers;
  trackGroup(pgid: number): void;
  untrackGroup(pgid: number): void;
}

/** Who hears that a process's leader exited, and whether its group lives on (the instance runner). */
export interface ExitHearer {
  processExited(record: RunnerProcess, code: number | null, signal: string | null, groupAlive: boolean, reason?: string): void;
}

/** One started process; `exited` once its leader exited. */
export class RunnerProcess {
  exited = false;
  /** its group is recorded with the guardian (a plain child outside a cgroup). */
  private readonly tracked: boolean;

  /**
   * Attaches to `sup`: its group is tracked, and `hearer` hears the leader's exit and whether the group lives
   * on (an object, not a closure: one closure per process, holding only this, instead of two and their scopes).
   */
  constructor(
    readonly sup: Supervised,
    private readonly keeper: GroupKeeper,
    private readonly hearer: ExitHearer,
  ) {
    this.tracked = sup.guarded && sup.contained !== true;
    if (this.tracked) keeper.trackGroup(sup.pid);
    // Bound, not an arrow: an arrow here keeps a scope of its own for the process's life (some 50 bytes more).
    sup.onExit(this.leaderExited.bind(this));
  }

  private leaderExited(code: number | null, signal: string | null, reason: string | undefined): void {
    this.exited = true;
    const alive = this.sup.alive();
    this.hearer.processExited(this, code, signal, alive, reason);
    // After the exit is handled: the guardian hears of it once the respawn is under way.
    if (!alive && this.tracked) this.keeper.untrackGroup(this.sup.pid);
  }

  /** Whether anything of it is still alive; forgets a group once it is empty. */
  groupAlive(): boolean {
    const alive = this.sup.alive();
    if (!alive && this.exited && this.tracked) this.keeper.untrackGroup(this.sup.pid);
    return alive;
  }

  /** Orphans of a crashed leader were sent SIGKILL: forget the group once they are gone. */
  untrackWhenGone(): void {
    const check = (): void => {
      if (this.sup.alive()) this.keeper.timers.setTimeout(check, GROUP_POLL_MS).unref?.();
      else if (this.tracked) this.keeper.untrackGroup(this.sup.pid);
    };
    check();
  }
}
