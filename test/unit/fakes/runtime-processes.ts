// Fake processes for runtime unit tests: a spawner whose children live until told to exit, and
// signals that reach them (each child leads its own group, as the real spawner makes it).
import type { OutputPair } from '../../../src/io/socket-pair.ts';
import type { SpawnedProcess, SpawnFailed, SpawnRequest, Spawner } from '../../../src/io/spawner.ts';
import { failed } from '../../../src/core/errors.ts';
import type { Signals } from '../../../src/runtime/ports.ts';
import type { FakeTime } from './runtime-time.ts';

/** One fake child: alive until `exit`; its group may outlive it (`groupAlive`). */
export class FakeChild implements SpawnedProcess {
  readonly stdout = null;
  readonly stderr = null;
  exited = false;
  /** whether something of its group lives on after the leader exited. */
  groupAlive = false;
  private readonly listeners: Array<(code: number | null, signal: string | null) => void> = [];

  constructor(
    readonly pid: number,
    readonly request: SpawnRequest,
    readonly spawnedAt: number,
  ) {}

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.listeners.push(listener);
  }

  /** The leader exits (with the group alive or not). */
  exit(code: number | null, signal: string | null = null, groupAlive = false): void {
    if (this.exited) return;
    this.exited = true;
    this.groupAlive = groupAlive;
    for (const l of this.listeners) l(code, signal);
  }

  /** Alive: the leader, or anything of its group. */
  get alive(): boolean {
    return !this.exited || this.groupAlive;
  }
}

const TERMINATING = new Set(['SIGTERM', 'SIGINT', 'SIGQUIT']);

/** One signal sent, and when. */
export interface SentSignal {
  at: number;
  target: number;
  group: boolean;
  signal: string;
}

/** How fake children answer signals: `obey` exits on any terminating signal after `exitAfterMs`. */
export interface ChildBehaviour {
  obey: boolean;
  exitAfterMs: number;
}

/** A spawner of fake children, and the signals that reach them. */
export class FakeProcesses implements Spawner, Signals {
  readonly children: FakeChild[] = [];
  readonly sent: SentSignal[] = [];
  /** what a spawn of this argv[0] answers instead of a child (an error an operator would see). */
  readonly failures = new Map<string, string>();
  behaviour: ChildBehaviour = { obey: true, exitAfterMs: 1 };
  private nextPid = 1000;

  constructor(private readonly time: FakeTime) {}

  spawn(req: SpawnRequest): SpawnedProcess | SpawnFailed {
    const failure = this.failures.get(req.argv[0] ?? '');
    if (failure !== undefined) return failed('E_SPAWN_FAILED', failure);
    const child = new FakeChild(this.nextPid++, req, this.time.now);
    this.children.push(child);
    return child;
  }

  outputPair(): Promise<OutputPair> {
    return Promise.reject(new Error('no output pairs in unit tests'));
  }

  /** The children started for a command (its argv[1], e.g. the vassal's script). */
  of(arg: string): FakeChild[] {
    return this.children.filter((c) => c.request.argv.includes(arg));
  }

  /** The children alive now. */
  get live(): FakeChild[] {
    return this.children.filter((c) => !c.exited);
  }

  killGroup(pgid: number, signal: string): boolean {
    return this.deliver(pgid, true, signal);
  }

  kill(pid: number, signal: string): boolean {
    return this.deliver(pid, false, signal);
  }

  groupAlive(pgid: number): boolean {
    return this.find(pgid)?.alive ?? false;
  }

  private find(pid: number): FakeChild | undefined {
    return this.children.find((c) => c.pid === pid);
  }

  private deliver(target: number, group: boolean, signal: string): boolean {
    const child = this.find(target);
    if (child === undefined || !child.alive) return false;
    this.sent.push({ at: this.time.now, target, group, signal });
    if (signal === 'SIGKILL') {
      this.time.timers.setTimeout(() => {
        child.groupAlive = false;
        child.exit(null, 'SIGKILL');
      }, 0);
    } else if (this.behaviour.obey && TERMINATING.has(signal) && !child.exited) {
      this.time.timers.setTimeout(() => child.exit(null, signal), this.behaviour.exitAfterMs);
    }
    return true;
  }
}
