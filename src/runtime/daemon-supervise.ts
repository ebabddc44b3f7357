// A smart-attached daemon being supervised through its pid: checked every second and on every change
// to its pidfile's directory, signalled only while it is still the very process adopted.
import { basename, dirname } from 'node:path';
import type { ProcessIdentity } from '../io/pidfile.ts';
import type { DaemonRecords } from '../io/daemon-records.ts';
import type { DaemonPorts } from './ports.ts';
import type { Supervised } from './supervised.ts';

/** How often a daemon's pid is checked (SPEC: at least once a second). */
export const DAEMON_CHECK_MS = 1000;

/** What supervising one daemon needs. */
export interface SuperviseOptions {
  name: string;
  pidfile: string;
  /** signals go to its process group (smart-attach-daemon2: the emperor's foreground command leads one). */
  group: boolean;
  records: DaemonRecords;
  ports: DaemonPorts;
  note(message: string): void;
}

/**
 * A daemon being supervised through its pid. With `group`, signals go to its process group: a
 * foreground command the emperor launched (smart-attach-daemon2) leads its own group, and
 * `/bin/sh -c` may keep the real program as its child.
 */
export function supervise(id: ProcessIdentity, o: SuperviseOptions): Supervised {
  const { time, signals, facts } = o.ports;
  const listeners: Array<(code: number | null, signal: string | null) => void> = [];
  let done = false;
  // The one identity test of a supervised daemon: the pid still has the start it was adopted with.
  const same = (): boolean => facts.identify(id.pid)?.startTicks === id.startTicks;
  const stopWatching = (): void => {
    done = true;
    time.timers.clearInterval(timer);
    watcher?.close();
  };
  const check = (): void => {
    if (done || same()) return;
    stopWatching();
    o.records.delete(o.name);
    for (const l of listeners) l(null, null);
  };
  const timer = time.timers.setInterval(check, DAEMON_CHECK_MS);
  // Without a directory watch the pid check alone still runs every second.
  const watcher = facts.watchDir(dirname(o.pidfile), (file) => {
    if (file === null || file === basename(o.pidfile)) check();
  });
  const unrecorded = o.records.set(o.name, { pid: id.pid, startTicks: id.startTicks, bootMs: facts.bootTimeMs(), pidfile: o.pidfile });
  if (unrecorded !== null) o.note(unrecorded);
  return {
    pid: id.pid,
    guarded: false,
    // Never a signal to a pid that now belongs to another process.
    signal: (sig) => {
      // A group id cannot be reused while any member lives: its members are still the daemon's.
      if (o.group ? !same() && !signals.groupAlive(id.pid) : !same()) return check();
      const sent = o.group ? signals.killGroup(id.pid, sig) : signals.kill(id.pid, sig);
      if (!sent) check();
    },
    // Never to a pid that now belongs to another process.
    signalMain: (sig) => same() && signals.kill(id.pid, sig),
    alive: () => (!done && same()) || (o.group && signals.groupAlive(id.pid)),
    onExit: (l) => listeners.push(l),
    release: stopWatching,
  };
}
