// The scheduler wired with the real clock, the running vassals, croner (loaded at the first schedule)
// and the last run of each job in <state-dir>/schedule-runs.json (for `catch-up`).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emperor } from '../runtime/emperor.ts';
import type { EventLog } from '../runtime/event-log.ts';
import { Scheduler, type LastRuns } from '../runtime/scheduler.ts';
import { parseCron } from '../config/cron.ts';
import { systemTime } from './real-ports.ts';

/** Last runs kept in one small JSON file; a file that cannot be read or written only loses catch-up. */
export function fileLastRuns(stateDir: string, warn: (m: string) => void): LastRuns {
  const path = join(stateDir, 'schedule-runs.json');
  let runs: Record<string, number> = {};
  try {
    runs = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
  } catch {
    runs = {};
  }
  return {
    get: (name) => (typeof runs[name] === 'number' ? runs[name] : null),
    set: (name, ms) => {
      runs[name] = ms;
      try {
        writeFileSync(`${path}.tmp`, JSON.stringify(runs));
        renameSync(`${path}.tmp`, path);
      } catch (err) {
        warn(`cannot record the last run of ${name} in ${path} (${(err as Error).message}); catch-up may miss it`);
      }
    },
  };
}

/** Starts the scheduler: timers for every vassal with a `schedule`, from now on. */
export function startScheduler(stateDir: string, emperor: Emperor, events: EventLog): Scheduler {
  const scheduler = new Scheduler({
    time: systemTime,
    events,
    vassals: () => emperor.vassals.values(),
    vassal: (name) => emperor.vassals.get(name),
    cron: (expression, timezone) => {
      const r = parseCron(expression, timezone);
      return r.ok ? r.value : null;
    },
    lastRuns: fileLastRuns(stateDir, (m) => events.warn(m)),
  });
  scheduler.start();
  return scheduler;
}
