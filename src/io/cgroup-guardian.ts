// Kills every plain vassal's cgroup when the emperor dies, even by SIGKILL: a small shell reads a pipe from
// the emperor and, at end of input, writes cgroup.kill of the subtree's `vassals/` (daemons' cgroups are spared).
import { spawn, type ChildProcess } from 'node:child_process';

// POSIX sh: waits for its input to end, kills, waits for the emperor to be gone, then tidies the subtree
// (once the emperor's other processes, such as the process-group guardian, have left its leaf too).
const SCRIPT = `trap '' INT TERM HUP QUIT PIPE
while IFS= read -r l; do :; done
V="$1/vassals"
echo 1 > "$V/cgroup.kill" 2>/dev/null
i=0
while [ $i -lt 100 ] && kill -0 "$2" 2>/dev/null; do sleep 0.05; i=$((i+1)); done
i=0
while [ $i -lt 100 ] && grep -q 'populated 1' "$V/cgroup.events" 2>/dev/null; do sleep 0.05; i=$((i+1)); done
for d in "$V"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
for d in "$1"/daemons/*/; do [ -d "$d" ] && grep -q 'populated 0' "$d/cgroup.events" 2>/dev/null && rmdir "$d" 2>/dev/null; done
echo $$ > "$3/cgroup.procs" 2>/dev/null || exit 0
i=0
while [ $i -lt 100 ] && grep -q 'populated 1' "$1/supervisor/cgroup.events" 2>/dev/null; do sleep 0.05; i=$((i+1)); done
rmdir "$V" "$1/daemons" "$1/supervisor" "$1" 2>/dev/null
exit 0
`;

/** Keeps the cgroup guardian alive; `close()` on a clean shutdown lets it tidy up. */
export class CgroupGuardian {
  private child: ChildProcess | null = null;
  private closed = false;

  constructor(
    private readonly base: string,
    /** the cgroup the subtree is under: the guardian moves there to remove the subtree's last leaf. */
    private readonly parent: string,
    private readonly onProblem: (message: string) => void,
    /** whose end the guardian waits for before it tidies up (the emperor; a stand-in in tests). */
    private readonly emperorPid: number = process.pid,
  ) {}

  /** Starts the guardian (again, after it died). */
  start(): void {
    if (this.closed) return;
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', SCRIPT, 'sh', this.base, String(this.emperorPid), this.parent], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    } catch (err) {
      this.later(`cgroup guardian could not start: ${(err as Error).message}`);
      return;
    }
    this.child = child;
    child.on('error', (err) => {
      if (this.child === child) this.child = null;
      this.later(`cgroup guardian could not start: ${err.message}`);
    });
    child.stdin?.on('error', () => {});
    child.on('exit', () => {
      if (this.child !== child || this.closed) return;
      this.child = null;
      this.later('cgroup guardian died');
    });
    child.unref();
  }

  private later(message: string): void {
    this.onProblem(`${message}; starting a new one in 1 s`);
    setTimeout(() => {
      if (this.child === null) this.start();
    }, 1000).unref();
  }

  /** The guardian's pid, for tests. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** A clean shutdown: every vassal is stopped; the guardian removes the empty cgroups once the emperor is gone. */
  close(): void {
    this.closed = true;
    this.child?.stdin?.end();
  }
}
