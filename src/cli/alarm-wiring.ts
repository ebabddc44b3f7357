// The emperor's alarms wired with the real transport and the running vassals' `alarm` lines.
import type { EmperorSettings } from './emperor-options.ts';
import type { Emperor } from '../runtime/emperor.ts';
import type { EventLog } from '../runtime/event-log.ts';
import { Alarms } from '../runtime/alarms.ts';
import { realAlarmTransport } from '../io/alarm-send.ts';
import { systemTime } from './real-ports.ts';

/** Starts the alarms of --config (a no-op without `[alarm:NAME]` sections, until a SIGHUP brings some). */
export function startAlarms(settings: EmperorSettings, emperor: Emperor, events: EventLog): Alarms {
  const alarms = new Alarms(settings.alarms, {
    time: systemTime,
    transport: realAlarmTransport,
    events,
    alarmsOf: (name) => {
      const v = emperor.vassals.get(name);
      if (v === undefined) return null;
      return { names: v.spec?.alarm ?? [], file: v.fileStatus.file, line: v.spec?.lines['alarm'] ?? null };
    },
  });
  alarms.start();
  return alarms;
}
