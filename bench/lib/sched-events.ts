// The scheduler's events as `perf script` prints them, parsed (bench/log-sched.ts).

/** One scheduler event of `perf script`: a switch (who went out, in what state, who came in) or a wake-up. */
export interface SchedEvent {
  comm: string;
  pid: number;
  cpu: number;
  t: number;
  kind: 'switch' | 'wakeup';
  // switch: the task switched out (prevPid, prevState) and in (next); wakeup: the task woken, its target CPU
  prevPid?: number;
  prevComm?: string;
  prevState?: string;
  nextComm?: string;
  woken?: string;
  wokenPid?: number;
  targetCpu?: number;
}

/** One line of `perf script -F comm,pid,cpu,time,event,trace` for sched_switch or sched_wakeup; null for any other line. */
export function parseSchedLine(line: string): SchedEvent | null {
  const m = /^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(sched_switch|sched_wakeup):\s+(.*)$/.exec(line);
  if (m === null) return null;
  const [, comm, pid, cpu, t, ev, rest] = m as unknown as [string, string, string, string, string, string, string];
  const base = { comm, pid: Number(pid), cpu: Number(cpu), t: Number(t) };
  if (ev === 'sched_switch') {
    const s = /prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=/.exec(rest);
    if (s === null) return null;
    return { ...base, kind: 'switch', prevComm: s[1], prevPid: Number(s[2]), prevState: s[3], nextComm: s[4] };
  }
  const w = /comm=(.*?) pid=(\d+) .*target_cpu=(\d+)/.exec(rest);
  if (w === null) return null;
  return { ...base, kind: 'wakeup', woken: w[1], wokenPid: Number(w[2]), targetCpu: Number(w[3]) };
}
