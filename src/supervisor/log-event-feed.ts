// PROCESS_LOG_STDOUT/STDERR for programs with stdout_events_enabled/stderr_events_enabled: their output, as it is written.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { CommandTarget } from '../runtime/commands.ts';
import { resolveLogPath } from '../runtime/spawn-plan.ts';
import { logEvent, type SupEvent } from './listener-events.ts';

/** How often followed log files are looked at. */
const POLL_MS = 500;
/** Most bytes one event carries (supervisord sends what one read gives). */
const MAX_EVENT_BYTES = 64 * 1024;

interface FileFollow {
  vassal: string;
  channel: 'stdout' | 'stderr';
  path: string;
  offset: number;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Follows the wanted programs' output and publishes it as PROCESS_LOG events. */
export class LogEventFeed {
  private files: FileFollow[] = [];
  private memory = new Map<string, () => void>();
  private timer: NodeJS.Timeout | null = null;
  private wanted = '';

  constructor(
    private readonly target: CommandTarget,
    private readonly publish: (ev: SupEvent) => void,
  ) {}

  /** Sets the programs to follow (name -> channels); a repeated set changes nothing. */
  want(programs: ReadonlyMap<string, { stdout: boolean; stderr: boolean }>): void {
    const key = JSON.stringify([...programs].sort());
    if (key === this.wanted && programs.size > 0) return;
    this.wanted = key;
    for (const stop of this.memory.values()) stop();
    this.memory.clear();
    this.files = [];
    for (const [vassal, flags] of programs) {
      const spec = this.target.vassals.get(vassal)?.spec ?? null;
      if (spec === null) {
        this.wanted = '';
        continue;
      }
      const out = spec.stdoutLog ?? spec.log;
      if (out === null && spec.stderrLog === null) {
        if (flags.stdout) this.memory.set(vassal, this.followMemory(vassal));
        continue;
      }
      const add = (channel: 'stdout' | 'stderr', p: string | null): void => {
        if (p === null) return;
        const path = resolveLogPath(p, 0, this.target.logDir);
        this.files.push({ vassal, channel, path, offset: sizeOf(path) });
      };
      if (flags.stdout) add('stdout', out);
      if (flags.stderr) add('stderr', spec.stderrLog);
    }
    if (this.files.length > 0 && this.timer === null) {
      this.timer = setInterval(() => this.poll(), POLL_MS);
      this.timer.unref();
    }
    if (this.files.length === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private pidOf(vassal: string): number {
    return this.target.vassals.get(vassal)?.instances[0]?.state.pid ?? 0;
  }

  private followMemory(vassal: string): () => void {
    const v = this.target.vassals.get(vassal);
    if (v === undefined) return () => {};
    return v.output.follow((line) => this.publish(logEvent('stdout', vassal, vassal, this.pidOf(vassal), `${line}\n`)));
  }

  private poll(): void {
    for (const f of this.files) {
      const size = sizeOf(f.path);
      if (size < f.offset) f.offset = 0;
      if (size === f.offset) continue;
      let fd: number | null = null;
      try {
        fd = openSync(f.path, 'r');
        const buf = Buffer.alloc(Math.min(size - f.offset, MAX_EVENT_BYTES));
        const got = readSync(fd, buf, 0, buf.length, f.offset);
        f.offset = size > f.offset + MAX_EVENT_BYTES ? size : f.offset + got;
        if (got > 0) this.publish(logEvent(f.channel, f.vassal, f.vassal, this.pidOf(f.vassal), buf.subarray(0, got).toString('utf8')));
      } catch {
        // rotated away between the stat and the open: read again next time
      } finally {
        if (fd !== null) closeSync(fd);
      }
    }
  }
}
