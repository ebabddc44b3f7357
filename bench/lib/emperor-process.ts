// One emperor process started by a diagnostic, stopped by pid, with what it left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { onCleanup } from './cleanup.ts';
import { ROOT, type EmperorFlavour } from './emperor-tree.ts';
import { alive, cmdline, descendantsOf, groupMembers, procStat, short, signal } from './proc-groups.ts';
import { nowMs } from './summary.ts';
import { sleep } from './util.ts';

/** What stopping an emperor found. */
export interface StopReport {
  exitCode: number | null;
  exitSignal: string | null;
  stopMs: number;
  /** process groups or pids still alive the instant the emperor exited (most end on their own). */
  aliveAtExit: string[];
  /** those still alive 1 s after the emperor exited: left behind, then SIGKILLed by the bench. */
  leftovers: string[];
}

/** One emperor process started by a bench, stopped by pid. */
export class EmperorProcess {
  readonly child: ChildProcess;
  readonly spawnedAt: number;
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: string | null = null;
  private readonly exited: Promise<void>;
  /** process groups seen under this emperor (vassals and guardian), checked at stop. */
  readonly pgids = new Set<number>();
  /** descendants that share the emperor's own group, checked one by one at stop. */
  readonly pids = new Set<number>();
  private readonly stopOnce: () => Promise<void>;
  private lastStop: StopReport | null = null;

  constructor(flavour: EmperorFlavour, args: string[]) {
    this.spawnedAt = nowMs();
    this.child = spawn(process.execPath, [...flavour.nodeArgs, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EMPEROR_STATE_DIR: undefined },
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) =>
      this.child.once('exit', (code, sig) => {
        this.exitCode = code;
        this.exitSignal = sig;
        r();
      }),
    );
    this.stopOnce = onCleanup(async () => {
      this.lastStop = await this.doStop();
    });
  }

  /** The emperor's pid. */
  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('emperor did not start');
    return pid;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.exitCode !== null || this.exitSignal !== null;
  }

  /** Resolves when it exits, or after `timeoutMs`; true when it exited. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (this.hasExited) return true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    return this.hasExited;
  }

  /** Remembers the process groups of every current descendant (vassals, guardian). */
  rememberDescendants(): void {
    if (this.hasExited) return;
    const ownGroup = procStat(this.pid)?.pgrp;
    for (const pid of descendantsOf(this.pid)) {
      const st = procStat(pid);
      if (st === null) continue;
      if (st.pgrp !== ownGroup) this.pgids.add(st.pgrp);
      else this.pids.add(pid);
    }
  }

  /** SIGTERM, wait (then SIGKILL if it hangs), then SIGKILL any process group left behind. */
  async stop(): Promise<StopReport> {
    await this.stopOnce();
    if (this.lastStop === null) throw new Error('stop did not run');
    return this.lastStop;
  }

  private async doStop(timeoutMs = 30000): Promise<StopReport> {
    const t0 = nowMs();
    this.rememberDescendants();
    if (!this.hasExited) {
      signal(this.pid, 'SIGTERM');
      if (!(await this.waitExit(timeoutMs))) {
        process.stderr.write(`emperor pid ${this.pid} did not exit ${timeoutMs} ms after SIGTERM; sending SIGKILL\n`);
        signal(this.pid, 'SIGKILL');
        await this.waitExit(5000);
      }
    }
    const stopMs = nowMs() - t0;
    const own = process.pid;
    const ownGroup = procStat(own)?.pgrp;
    const groups = [...this.pgids].filter((g) => g > 1 && g !== ownGroup && g !== own);
    const pids = [...this.pids].filter((p) => p > 1 && p !== own);
    const survivors = (): string[] => [
      ...groups.flatMap((g) => {
        const members = groupMembers(g);
        return members.length === 0 ? [] : [`group ${g}: ${members.map((p) => `${p} (${short(cmdline(p))})`).join(', ')}`];
      }),
      ...pids.filter(alive).map((p) => `pid ${p} (${short(cmdline(p))})`),
    ];
    // Something may still be exiting at the instant the emperor exits (the guardian reading its EOF):
    // that is noted; what is still alive a second later is left behind, and SIGKILLed by group and pid.
    const aliveAtExit = survivors();
    const deadline = nowMs() + 1000;
    while (survivors().length > 0 && nowMs() < deadline) await sleep(25);
    const leftovers = survivors();
    for (const g of groups) {
      if (groupMembers(g).length === 0) continue;
      signal(-g, 'SIGKILL');
      for (const p of groupMembers(g)) signal(p, 'SIGKILL');
    }
    for (const p of pids.filter(alive)) signal(p, 'SIGKILL');
    return { exitCode: this.exitCode, exitSignal: this.exitSignal, stopMs, aliveAtExit, leftovers };
  }

  /** Event lines at WARN or ERROR level, and anything on stderr. */
  problems(): string[] {
    const lines = this.stdout.split('\n').filter((l) => / (WARN|ERROR) /.test(l));
    return [...lines, ...this.stderr.split('\n').filter(Boolean).map((l) => `stderr: ${l}`)];
  }
}
