// CPU (cpu.stat) and, where the memory controller is on, resident memory (memory.stat) of contained
// instances: one or two reads per instance, laid over what the process sampler found.
import { cgroupCpuSeconds, cgroupResidentBytes } from './cgroup-fs.ts';

/** What the sampler reports per group; the cgroup's figures replace its own where there are any. */
export interface UsageFigures {
  rssBytes: number;
  cpuPercent: number | null;
  cpuSecondsDelta: number;
}

/** Reads each instance's cgroup: CPU since the last sample counts every process, a setsid or double-forked one too. */
export class CgroupUsage {
  private readonly last = new Map<string, { seconds: number; at: number }>();

  /** Replaces the figures of each group that has a cgroup (`cgroupOf`); cgroups not seen are forgotten. */
  overlay<T extends UsageFigures>(usage: Map<number, T>, cgroupOf: (pid: number) => string | null, now: number): Map<number, T> {
    const seen = new Set<string>();
    for (const [pid, u] of usage) {
      const dir = cgroupOf(pid);
      if (dir === null) continue;
      seen.add(dir);
      const seconds = cgroupCpuSeconds(dir);
      if (seconds !== null) {
        const prev = this.last.get(dir);
        this.last.set(dir, { seconds, at: now });
        u.cpuSecondsDelta = prev === undefined ? seconds : Math.max(0, seconds - prev.seconds);
        u.cpuPercent = prev === undefined || now <= prev.at ? null : ((seconds - prev.seconds) / ((now - prev.at) / 1000)) * 100;
      }
      const rss = cgroupResidentBytes(dir);
      if (rss !== null) u.rssBytes = rss;
    }
    for (const dir of this.last.keys()) if (!seen.has(dir)) this.last.delete(dir);
    return usage;
  }
}
