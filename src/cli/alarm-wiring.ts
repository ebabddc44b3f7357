// The emperor's alarms wired with the real transport and the running vassals' `alarm` lines.
import type { EmperorSettings } from './emperor-options.ts';
import type { Emperor } from '../runtime/emperor.ts';
import type { EventLog } from '../runtime/event-log.ts';
import { Alarms } from '../runtime/alarms.ts';
import type { AlarmTransport } from '../io/alarm-send.ts';
import type { GroupGuard } from '../io/guardian.ts';
import { systemTime } from './real-ports.ts';

/** Starts the alarms of --config (a no-op without `[alarm:NAME]` sections, until a SIGHUP brings some). */
export function startAlarms(settings: EmperorSettings, emperor: Emperor, events: EventLog): Alarms {
  const alarms = new Alarms(settings.alarms, {
    time: systemTime,
    // The guardian ends a command still running should the emperor be SIGKILLed.
    transport: () => loadTransport(emperor.guardian),
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

let transport: Promise<AlarmTransport> | null = null;

// The real transport, loaded at the first alarm sent: node:http and node:https cost ~300 KB an emperor without alarms never uses.
function loadTransport(guard: GroupGuard): Promise<AlarmTransport> {
  transport ??= import('../io/alarm-send.ts').then((m) => m.realAlarmTransport(guard));
  return transport;
}
