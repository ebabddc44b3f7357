// A plain child the emperor spawned, as the instance runner supervises it: through its process group, or
// through its cgroup when it has one. One object per child with its methods on the class, not a closure
// each (six closures and their scopes were about 1 KB a vassal), and it keeps nothing of the spawn (the
// spawner's onExit would have kept the whole prepared spawn, its environment string included).
import type { SpawnCgroup } from './emperor-ports.ts';
import type { Signals } from './ports.ts';
import type { Supervised } from './supervised.ts';

type ExitListener = Parameters<Supervised['onExit']>[0];

/** What a child is signalled and looked at through, and where an OOM kill is told. */
export interface ChildPorts {
  signals: Pick<Signals, 'kill'>;
  groupAlive(pgid: number): boolean;
  killGroup(pgid: number, signal: string): void;
  events: { write(record: { level: 'warn'; vassal: string; instance: number; message: string }): void };
}

/** A spawned child: `watch` is the spawner's onExit, called once here (a later listener hears a past exit). */
export class SpawnedChild implements Supervised {
  private listeners: ExitListener[] | null = null;
  private status: { code: number | null; signal: string | null; reason: string | undefined } | null = null;

  constructor(
    private readonly ports: ChildPorts,
    readonly pid: number,
    watch: (listener: (code: number | null, signal: string | null) => void) => void,
    /** its cgroup: signals reach every process of it, and it is gone once the cgroup is empty. */
    private readonly cg: SpawnCgroup | null,
    private readonly vassal: string,
    private readonly instance: number,
  ) {
    // Bound, not an arrow: an arrow here keeps the constructor's scope for the child's life (some 70 bytes more).
    watch(this.exited.bind(this));
  }

  // Getters, not fields: 8 bytes each a child.
  get guarded(): true {
    return true;
  }

  /** in its own cgroup, which the cgroup guardian kills should the emperor die. */
  get contained(): boolean {
    return this.cg !== null;
  }

  signal(sig: string): void {
    if (this.cg === null) this.ports.killGroup(this.pid, sig);
    else this.cg.signal(sig);
  }

  signalMain(sig: string): boolean {
    return this.ports.signals.kill(this.pid, sig);
  }

  alive(): boolean {
    return this.cg === null ? this.ports.groupAlive(this.pid) : this.cg.alive();
  }

  onExit(listener: ExitListener): void {
    const s = this.status;
    if (s !== null) queueMicrotask(() => listener(s.code, s.signal, s.reason));
    // Concatenated, not pushed or spread: those keep room for 17 (152 bytes), and a child has two or three listeners.
    else this.listeners = this.listeners === null ? [listener] : this.listeners.concat([listener]);
  }

  private exited(code: number | null, signal: string | null): void {
    const cg = this.cg;
    const oom = cg === null ? null : cg.oomKilled();
    if (oom !== null) this.ports.events.write({ level: 'warn', vassal: this.vassal, instance: this.instance, message: oom });
    const status = { code, signal, reason: oom ?? undefined };
    const tell = (): void => {
      this.status = status;
      const listeners = this.listeners ?? [];
      this.listeners = null;
      for (const l of listeners) l(code, signal, status.reason);
    };
    // A respawn made while the exit is handled runs in this cgroup once it is empty (no rmdir, no mkdir).
    if (cg?.keepWhile === undefined) tell();
    else cg.keepWhile(tell);
  }
}

/** `inner` with some of its methods replaced: a spread would drop the methods a class keeps on its prototype. */
export function overriding(inner: Supervised, over: Partial<Pick<Supervised, 'signal' | 'signalMain' | 'alive' | 'onExit'>>): Supervised {
  const out: Supervised = {
    pid: inner.pid,
    guarded: inner.guarded,
    signal: over.signal ?? ((sig) => inner.signal(sig)),
    signalMain: over.signalMain ?? ((sig) => inner.signalMain(sig)),
    alive: over.alive ?? (() => inner.alive()),
    onExit: over.onExit ?? ((listener) => inner.onExit(listener)),
  };
  if (inner.contained !== undefined) out.contained = inner.contained;
  if (inner.release !== undefined) out.release = () => inner.release?.();
  return out;
}
