// One small process for the whole emperor that kills every recorded process group when the emperor dies,
// even by SIGKILL: it reads a pipe from the emperor and acts when the pipe closes.
import { spawn, type ChildProcess } from 'node:child_process';

// POSIX sh, about 1 MB: `+PGID` records a group, `-PGID` forgets it, end of input kills what is left.
const SCRIPT = `trap '' INT TERM HUP QUIT PIPE
g=' '
while IFS= read -r l; do
  case $l in
    +*) g="$g\${l#+} " ;;
    -*) x=" \${l#-} "; case $g in *"$x"*) g="\${g%%"$x"*} \${g#*"$x"}" ;; esac ;;
  esac
done
for p in $g; do kill -9 "-$p" 2>/dev/null; done
`;

/** Where a process group the emperor starts outside a vassal (an alarm command, an event listener) is told, so a SIGKILL of the emperor ends it too. */
export interface GroupGuard {
  track(pgid: number): void;
  untrack(pgid: number): void;
}

/** Keeps the guardian alive and told of every process group the emperor owns. */
export class Guardian {
  private child: ChildProcess | null = null;
  /** started: the process runs from the first group tracked. */
  private wanted = false;
  /** a start failed: the next try is already set. */
  private retrying = false;
  private readonly groups = new Set<number>();
  private closed = false;
  /** lines not written yet (flushed on the next turn). */
  private queued = '';

  constructor(private readonly onProblem: (message: string) => void) {}

  /**
   * Starts the guardian process once there is a group to guard (again, after it died, replaying every
   * recorded group). An emperor whose vassals are all in cgroups (the cgroup guardian covers them) never
   * tracks a group, and never runs this shell (about 150 KB of PSS).
   */
  start(): void {
    if (this.closed) return;
    this.wanted = true;
    if (this.groups.size > 0 && this.child === null) this.launch();
  }

  private launch(): void {
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    } catch (err) {
      this.retry(`guardian could not start: ${(err as Error).message}`);
      return;
    }
    this.child = child;
    child.on('error', (err) => {
      if (this.child === child) this.child = null;
      this.retry(`guardian could not start: ${err.message}`);
    });
    child.stdin?.on('error', () => {});
    child.on('exit', () => {
      if (this.child !== child || this.closed) return;
      this.child = null;
      this.onProblem('guardian process died; starting a new one');
      setTimeout(() => this.start(), 100).unref();
    });
    child.unref();
    // Every group recorded is replayed: what was queued for the guardian before is in it.
    this.queued = '';
    if (this.groups.size > 0) this.send([...this.groups].map((g) => `+${g}\n`).join(''));
  }

  // Without a guardian a crash of the emperor would leave vassals behind: keep trying.
  private retry(message: string): void {
    this.onProblem(`${message}; trying again in 1 s`);
    this.retrying = true;
    setTimeout(() => {
      this.retrying = false;
      if (this.child === null) this.start();
    }, 1000).unref();
  }

  /** The guardian's pid, for tests and diagnostics. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Records a process group to kill should the emperor die. */
  track(pgid: number): void {
    if (this.groups.has(pgid)) return;
    this.groups.add(pgid);
    // The first group launches the process, which is handed every recorded group.
    if (this.wanted && this.child === null && !this.closed && !this.retrying) return this.launch();
    this.send(`+${pgid}\n`);
  }

  /** Forgets a process group once it is gone. */
  untrack(pgid: number): void {
    if (!this.groups.delete(pgid)) return;
    this.send(`-${pgid}\n`);
  }

  /** Ends the guardian on a clean shutdown, when no group is left to kill. */
  close(): void {
    this.closed = true;
    this.flush();
    this.child?.stdin?.end();
  }

  // The lines of one event-loop turn go in one write: a start of hundreds of vassals is a few writes, not one
  // each (every write also woke the guardian's shell).
  private send(text: string): void {
    if (this.queued === '') setImmediate(() => this.flush());
    this.queued += text;
  }

  private flush(): void {
    const text = this.queued;
    this.queued = '';
    const stdin = this.child?.stdin;
    if (text !== '' && stdin && !stdin.destroyed) stdin.write(text);
  }
}
