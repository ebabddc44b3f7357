// What an instance runner supervises: a plain child (its process group) or an attached daemon (its pid).

import type { Failed } from '../core/errors.ts';

/** A started process, however it is watched. */
export interface Supervised {
  pid: number;
  /** signals the whole of it: a child's process group, a daemon's pid. */
  signal(sig: string): void;
  /** signals its main process only (a reload signal, `emperorctl signal`); false when it is gone. */
  signalMain(sig: string): boolean;
  /** whether any of it is still alive (zombies excluded). */
  alive(): boolean;
  /** `reason`: why it ended when the exit status alone does not say (the kernel's OOM killer). */
  onExit(listener: (code: number | null, signal: string | null, reason?: string) => void): void;
  /** the guardian kills it should the emperor die (plain children; never daemons). */
  guarded: boolean;
  /** in its own cgroup, which the cgroup guardian kills should the emperor die: no process group to record. */
  contained?: boolean;
  /** stop watching and leave it running: the emperor shuts down, daemons live on (SPEC section 5). */
  release?(): void;
}

/** A start that completes later (a daemon writing its pidfile); cancel ends it. */
export interface PendingSpawn {
  pending: Promise<Supervised | Failed>;
  /** `stopDaemon` false leaves a daemon that appears anyway running (the emperor shuts down). */
  cancel(stopDaemon?: boolean): void;
}
