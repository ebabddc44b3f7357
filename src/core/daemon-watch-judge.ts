// Whose process a pidfile names: the two judgements of a smart-attached daemon's watch, pure.
// Adoption (a daemon found at start) and a launch's own daemon are the only ways a pid becomes ours.

/** A live process as /proc describes it (io/pidfile.ts reads it). */
export interface DaemonIdentity {
  pid: number;
  startTicks: number;
  /** start time in Unix ms. */
  startMs: number;
  uid: number;
  name: string;
}

/** What a pidfile said when read: its pid and write time, or why there was none. */
export type PidfileSeen = { ok: true; pid: number; mtimeMs: number } | { ok: false; missing: boolean; message: string };

/** What the previous emperor recorded of this vassal's daemon. */
export interface DaemonRecordSeen {
  pid: number;
  startTicks: number;
  bootMs: number;
}

/** Who the daemon must be: its vassal, the uid it runs as, and who it must never be. */
export interface DaemonWho {
  name: string;
  pidfile: string;
  uid: number;
  emperorPid: number;
}

/** A pidfile found before the launch that named no daemon of ours: never read as the launch's own. */
export interface StalePidfile {
  pid: number;
  mtimeMs: number;
}

/** A daemon with no record is adopted only if it wrote its pidfile within this long after it started. */
export const MAX_PIDFILE_DELAY_MS = 60_000;
/** Clock ticks are 10 ms: start times are compared with this much slack. */
export const SLACK_MS = 50;
/** A record and this boot agree when their boot times are this close. */
const BOOT_SLACK_MS = 2000;

/** Why the process a pidfile names (written at `mtimeMs`) is not this daemon, or null when it is (adoption). */
export function notOurs(id: DaemonIdentity, mtimeMs: number, who: DaemonWho, record: DaemonRecordSeen | null, bootMs: number): string | null {
  if (id.pid === 1) return 'it is pid 1';
  if (id.pid === who.emperorPid) return 'it is the emperor itself';
  if (record !== null && record.pid === id.pid && record.startTicks === id.startTicks && Math.abs(record.bootMs - bootMs) < BOOT_SLACK_MS) return null;
  if (id.uid !== who.uid) return `it runs as uid ${id.uid}, not ${who.uid}`;
  if (id.startMs > mtimeMs + SLACK_MS) return 'it started after the pidfile was written (a reused pid)';
  if (mtimeMs - id.startMs > MAX_PIDFILE_DELAY_MS) {
    return `it started ${Math.round((mtimeMs - id.startMs) / 1000)} s before the pidfile was written: an unrelated older process`;
  }
  return null;
}

/** Whether a reading is the stale pidfile of before the launch, unchanged (the command never rewrote it). */
export function isStale(r: PidfileSeen, stale: StalePidfile | null): boolean {
  return r.ok && stale !== null && r.pid === stale.pid && r.mtimeMs === stale.mtimeMs;
}

/**
 * The one test of "this is the daemon our launch started": it started after the launch, runs as
 * the vassal's uid, and is neither the emperor nor pid 1. Used while waiting and after a cancel.
 */
export function launchedBy(id: DaemonIdentity, launchedMs: number, who: DaemonWho): boolean {
  return id.startMs + SLACK_MS >= launchedMs && id.uid === who.uid && id.pid !== who.emperorPid && id.pid !== 1;
}
