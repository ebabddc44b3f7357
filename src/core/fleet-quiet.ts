// Whether a sampling tick needs to read any instance at all, from the CPU counter of the cgroups that hold
// every vassal and daemon (vassals/ and daemons/ of the emperor's subtree: usage_usec counts all of their
// descendants, the removed ones too). The reasoning: a process can change nothing the sampler reports without
// running. Its CPU time grows only while it runs; its resident memory grows only by its own page faults
// (a running process); it forks, execs and exits only by running (an exit, a SIGKILL's too, runs the exit
// path in the process, which is charged to it). So when the subtree's counter did not move since a read
// that left every instance's figures final, every figure still stands, and the tick reads nothing: no
// walk of the fleet, no file read per instance, no allocation. What it can miss: memory the kernel takes
// back from an idle process (reclaim, swap) shows at the next read after anything runs; a process moved
// out of the subtree by hand (a write to cgroup.procs) is no longer counted in it.

/**
 * `off`: no counter (no cgroups, unreadable, or an instance outside the subtree): every tick reads what is due.
 * `moving`: the subtree ran since the last tick. `quieting`: it did not, but an instance sitting out (idle
 * backoff) may not have been read since it ran: one read of all. `settled`: every figure is final; ticks skip.
 */
export type QuietPhase = 'off' | 'moving' | 'quieting' | 'settled';

/** The gate's state: its phase, and the counter (microseconds) at the last tick. */
export interface FleetQuiet {
  phase: QuietPhase;
  mark: number | null;
}

/**
 * A tick with the subtree's counter now (null: none); or what the read a tick asked for found: `busy`, an
 * instance used CPU since its previous read or was read for the first time; `uncovered`, an instance is not
 * in the subtree (its CPU is not in the counter); `complete`, every instance was read.
 */
export type QuietEvent = { type: 'tick'; usec: number | null } | { type: 'read'; busy: boolean; uncovered: boolean; complete: boolean };

/** What a tick does: nothing, read the instances that are due (idle backoff), or read every instance. */
export type QuietAction = 'skip' | 'read-due' | 'read-all' | 'none';

/** The gate at start: nothing known. */
export const FRESH_QUIET: FleetQuiet = { phase: 'off', mark: null };

/** The phases, for tables. */
export const QUIET_PHASES: readonly QuietPhase[] = ['off', 'moving', 'quieting', 'settled'];

// A tick: the counter moved (read what is due), stood since a read left every figure final (skip), or stood
// since the last tick but not every figure is known final (read all once).
function onTick(s: FleetQuiet, usec: number | null): { state: FleetQuiet; action: QuietAction } {
  if (usec === null) return { state: FRESH_QUIET, action: 'read-due' };
  if (usec !== s.mark) return { state: { phase: 'moving', mark: usec }, action: 'read-due' };
  switch (s.phase) {
    case 'settled':
      return { state: s, action: 'skip' };
    case 'moving':
    case 'quieting':
      return { state: { phase: 'quieting', mark: usec }, action: 'read-all' };
    case 'off':
      return { state: { phase: 'moving', mark: usec }, action: 'read-due' };
  }
}

// A read's outcome: an instance outside the subtree turns the gate off; CPU use keeps it moving; a complete
// idle read settles it.
function onRead(s: FleetQuiet, ev: Extract<QuietEvent, { type: 'read' }>): FleetQuiet {
  if (s.phase === 'off') return s;
  if (ev.uncovered) return FRESH_QUIET;
  if (ev.busy) return s.phase === 'moving' ? s : { phase: 'moving', mark: s.mark };
  if (ev.complete) return { phase: 'settled', mark: s.mark };
  return s;
}

/** One step of the gate: a tick says what to read; a read's outcome says whether the figures are final. */
export function quietStep(s: FleetQuiet, ev: QuietEvent): { state: FleetQuiet; action: QuietAction } {
  switch (ev.type) {
    case 'tick':
      return onTick(s, ev.usec);
    case 'read':
      return { state: onRead(s, ev), action: 'none' };
  }
}
