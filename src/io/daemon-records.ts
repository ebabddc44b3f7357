// What the emperor remembers of each daemon it runs, in the state dir, so the next emperor adopts only
// that process: its pid, its start time (clock ticks since boot) and the boot it belongs to.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeErrno } from '../core/errors.ts';

/** One daemon's record. */
export interface DaemonRecord {
  pid: number;
  startTicks: number;
  /** boot time in Unix ms when recorded: a record from before a reboot names nobody. */
  bootMs: number;
  pidfile: string;
}

/** What the emperor remembers of its daemons (a port: files in production, a map in tests). */
export interface DaemonRecords {
  /** The record of a vassal's daemon, or null. */
  get(name: string): DaemonRecord | null;
  /** Records a daemon; returns the error instead of throwing (supervision goes on without it). */
  set(name: string, record: DaemonRecord): string | null;
  /** Forgets a daemon that was stopped or died. */
  delete(name: string): void;
}

/** Reads and writes records under `<state-dir>/daemons/NAME.json`. */
export class FileDaemonRecords implements DaemonRecords {
  constructor(private readonly dir: string) {}

  /** The record of a vassal's daemon, or null. */
  get(name: string): DaemonRecord | null {
    try {
      const r = JSON.parse(readFileSync(this.path(name), 'utf8')) as Partial<DaemonRecord>;
      if (typeof r.pid !== 'number' || typeof r.startTicks !== 'number' || typeof r.bootMs !== 'number' || typeof r.pidfile !== 'string') return null;
      return { pid: r.pid, startTicks: r.startTicks, bootMs: r.bootMs, pidfile: r.pidfile };
    } catch {
      return null;
    }
  }

  /**
   * Records a daemon (atomically: temp file, then rename). Returns the error instead of throwing:
   * a record only helps the next emperor adopt; supervision goes on without it.
   */
  set(name: string, record: DaemonRecord): string | null {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const temp = `${this.path(name)}.tmp`;
      writeFileSync(temp, JSON.stringify(record) + '\n', { mode: 0o600 });
      renameSync(temp, this.path(name));
      return null;
    } catch (err) {
      return `cannot record the daemon in ${this.dir}: ${describeErrno(err)}; the next emperor may not adopt it`;
    }
  }

  /** Forgets a daemon that was stopped or died. */
  delete(name: string): void {
    try {
      rmSync(this.path(name), { force: true });
    } catch {
      // a record left behind names a dead process: the next emperor ignores it
    }
  }

  private path(name: string): string {
    return join(this.dir, `${name}.json`);
  }
}
