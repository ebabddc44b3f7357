// `emperor check --config FILE ...`: the alarms of --config, and each vassal's `alarm = NAME` against them.
import { readFileSync } from 'node:fs';
import { readAlarmSettings, unknownAlarm, type AlarmTarget } from '../config/alarm-config.ts';
import type { VassalSpec } from '../config/spec.ts';
import { describeErrno } from '../core/errors.ts';

/** What checking --config found: its alarms, and how many errors it printed. */
export interface AlarmCheck {
  targets: ReadonlyMap<string, AlarmTarget>;
  errors: number;
}

/** Checks --config's alarms, printing each problem; null without --config. */
export function checkAlarms(config: string | null, out: (text: string) => void): AlarmCheck | null {
  if (config === null) return null;
  let text: string;
  try {
    text = readFileSync(config, 'utf8');
  } catch (e) {
    out(`${config}:0: cannot read: ${describeErrno(e)}\n`);
    return { targets: new Map(), errors: 1 };
  }
  const r = readAlarmSettings(config, text);
  if (!r.ok) {
    for (const line of r.errors) out(`${line}\n`);
    return { targets: new Map(), errors: r.errors.length };
  }
  return { targets: r.value.targets, errors: 0 };
}

/** `FILE:LINE: message` lines for `alarm = NAME` lines naming no `[alarm:NAME]`. */
export function unknownAlarmLines(vassals: readonly VassalSpec[], alarms: AlarmCheck): string[] {
  const out: string[] = [];
  for (const v of vassals) {
    for (const name of v.alarm) if (!alarms.targets.has(name)) out.push(`${v.file}:${v.lines['alarm'] ?? 1}: ${unknownAlarm(name, alarms.targets)}\n`);
  }
  return out;
}
