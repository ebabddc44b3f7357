// SIGHUP with --config: the file is read again; what applies without a restart applies, the rest is told.
import { parseEmperorArgs, type EmperorSettings } from './emperor-options.ts';
import type { Emperor } from '../runtime/emperor.ts';
import type { EventLog } from '../runtime/event-log.ts';
import type { Alarms } from '../runtime/alarms.ts';

// SIGHUP re-reads --config: the rescan interval applies at once; other changes need a restart.
export function rereadConfig(settings: EmperorSettings, emperor: Emperor, events: EventLog, alarms: Alarms): void {
  let fresh: EmperorSettings;
  try {
    const cmd = parseEmperorArgs(process.argv.slice(2), process.env, process.getuid?.() ?? 0);
    if (cmd.kind !== 'run') return;
    fresh = cmd.settings;
  } catch (err) {
    events.write({ level: 'error', message: `--config ${settings.config ?? ''} not applied: ${(err as Error).message}` });
    return;
  }
  if (fresh.rescanIntervalMs !== settings.rescanIntervalMs) {
    emperor.setRescanInterval(fresh.rescanIntervalMs);
    settings.rescanIntervalMs = fresh.rescanIntervalMs;
    events.info(`rescan-interval is now ${fresh.rescanIntervalMs / 1000}s`);
  }
  alarms.update(fresh.alarms);
  for (const key of Object.keys(fresh) as Array<keyof EmperorSettings>) {
    if (key !== 'rescanIntervalMs' && key !== 'alarms' && JSON.stringify(fresh[key]) !== JSON.stringify(settings[key])) {
      events.warn(`${key} changed in --config: restart the emperor to apply it`);
    }
  }
}
