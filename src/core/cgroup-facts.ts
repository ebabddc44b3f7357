// The text of cgroup v2's files and of /proc, parsed: where cgroup2 is mounted, which cgroup a process is in,
// and what a cgroup reports (populated, CPU, memory, OOM kills). Pure, so every odd case has a unit test.

/** Where cgroup2 is mounted: its mount point and the cgroup path the mount shows as its root. */
export interface Cgroup2Mount {
  mountPoint: string;
  root: string;
}

// mountinfo escapes space, tab, newline and backslash as octal.
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The cgroup2 mounts in /proc/self/mountinfo, in order (the first is the one to use). */
export function parseCgroup2Mounts(mountinfo: string): Cgroup2Mount[] {
  const out: Cgroup2Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fsType = line.slice(sep + 3).split(' ')[0];
    if (fsType !== 'cgroup2') continue;
    const fields = line.slice(0, sep).split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    out.push({ mountPoint: unescape(mountPoint), root: unescape(root) });
  }
  return out;
}

/** The cgroup v2 path of /proc/PID/cgroup (its `0::` line), or null on a cgroup-v1-only system. */
export function parseProcCgroup(text: string): string | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('0::')) {
      const path = line.slice(3).trim();
      return path.startsWith('/') ? path.replace(/ \(deleted\)$/, '') : null;
    }
  }
  return null;
}

/** The directory of cgroup `path` under a cgroup2 mount, or null when the mount does not show it. */
export function cgroupDirectory(mount: Cgroup2Mount, path: string): string | null {
  const root = mount.root === '/' ? '' : mount.root.replace(/\/$/, '');
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return null;
  const rest = path.slice(root.length).replace(/\/$/, '');
  return `${mount.mountPoint.replace(/\/$/, '')}${rest}`;
}

/** `key value` lines (cgroup.events, cpu.stat, memory.stat, memory.events) as numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const n = Number(line.slice(space + 1).trim());
    if (Number.isFinite(n)) out.set(line.slice(0, space), n);
  }
  return out;
}

/** Whether cgroup.events says a process is still in the cgroup or below; null when the text has no `populated`. */
export function parsePopulated(events: string): boolean | null {
  const v = parseFlatKeyed(events).get('populated');
  return v === undefined ? null : v !== 0;
}

/** CPU time a cgroup used, in microseconds (cpu.stat's usage_usec, present without the cpu controller). */
export function parseCpuUsageUsec(cpuStat: string): number | null {
  return parseFlatKeyed(cpuStat).get('usage_usec') ?? null;
}

/**
 * Resident memory from memory.stat: anonymous pages plus mapped files, so `rss_bytes` and
 * `max-rss` keep meaning resident memory (memory.current counts the page cache too).
 */
export function parseResidentBytes(memoryStat: string): number | null {
  const m = parseFlatKeyed(memoryStat);
  const anon = m.get('anon');
  if (anon === undefined) return null;
  return anon + (m.get('file_mapped') ?? 0);
}

/** How many times the kernel's OOM killer killed a process of the cgroup (memory.events oom_kill). */
export function parseOomKills(memoryEvents: string): number {
  return parseFlatKeyed(memoryEvents).get('oom_kill') ?? 0;
}

/** The pids of cgroup.procs. */
export function parsePids(procs: string): number[] {
  const out: number[] = [];
  for (const word of procs.split('\n')) {
    const n = Number(word);
    if (word !== '' && Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

/** Controllers named in cgroup.controllers or cgroup.subtree_control. */
export function parseControllers(text: string): Set<string> {
  return new Set(text.split(/\s+/).filter((w) => w !== ''));
}
