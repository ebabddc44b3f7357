// The CPU every vassal and daemon of an emperor used, as one number: the usage_usec of the cgroups that hold
// them all (vassals/ and daemons/ of its subtree; cgroup v2 counts every descendant, the removed ones too).
// Read at each sampling tick, it tells whether anything ran since the last (src/core/fleet-quiet.ts).
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { flatKeyedValue } from './stat-bytes.ts';

/** Sums the usage_usec of the cpu.stat of some cgroups: descriptors kept, one pread each, nothing allocated. */
export class SubtreeCpu {
  private readonly paths: readonly string[];
  private readonly fds: Array<number | null>;
  private readonly buf = Buffer.alloc(4096);

  constructor(dirs: readonly string[]) {
    this.paths = dirs.map((d) => join(d, 'cpu.stat'));
    this.fds = dirs.map(() => null);
  }

  /** Microseconds of CPU used in all of them since they were made; null when one cannot be read. */
  usageUsec(): number | null {
    let sum = 0;
    for (let i = 0; i < this.paths.length; i++) {
      const v = this.read(i);
      if (v === null) return null;
      sum += v;
    }
    return sum;
  }

  /** Closes every descriptor. */
  close(): void {
    for (let i = 0; i < this.fds.length; i++) this.drop(i);
  }

  private read(i: number): number | null {
    let fd = this.fds[i] ?? null;
    try {
      if (fd === null) {
        fd = openSync(this.paths[i] ?? '', 'r');
        this.fds[i] = fd;
      }
      return flatKeyedValue(this.buf, readSync(fd, this.buf, 0, this.buf.length, 0), 'usage_usec');
    } catch {
      // gone (a subtree removed by hand): opened again next time, and nothing is skipped meanwhile
      this.drop(i);
      return null;
    }
  }

  private drop(i: number): void {
    const fd = this.fds[i] ?? null;
    if (fd !== null) closeSync(fd);
    this.fds[i] = null;
  }
}
