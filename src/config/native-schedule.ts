// The scheduled-job keys of a [vassal]: `schedule`, `schedule-timezone`, `overlap`, `catch-up`, checked together.
import type { IniEntry } from './ini-source.ts';
import type { Fail, ValueReader } from './native-entries.ts';
import type { NativeKey } from './native-keys.ts';
import type { VassalSpec } from './spec.ts';
import { parseCron, parseTimezone } from './cron.ts';
import { parseBool } from './values.ts';
import type { Outcome } from '../core/errors.ts';

type ScheduleFields = Pick<VassalSpec, 'schedule' | 'scheduleTimezone' | 'overlap' | 'catchUp'>;
const OVERLAPS = ['skip', 'queue', 'kill'] as const;

function parseOverlap(text: string): Outcome<VassalSpec['overlap']> {
  const v = OVERLAPS.find((o) => o === text.trim().toLowerCase());
  return v === undefined ? { ok: false, message: `expected \`skip\`, \`queue\` or \`kill\`, got \`${text}\`` } : { ok: true, value: v };
}

/** Reads the four keys; a bad expression, timezone, overlap or catch-up is an error at its line. */
export function readSchedule(entries: ReadonlyMap<NativeKey, IniEntry[]>, values: ValueReader, fail: Fail, warn: Fail): ScheduleFields {
  const entry = (key: NativeKey): IniEntry | undefined => entries.get(key)?.[0];
  const tzEntry = entry('schedule-timezone');
  const timezone = tzEntry === undefined ? null : values.coerce(tzEntry, parseTimezone);
  const cronEntry = entry('schedule');
  let schedule: string | null = null;
  if (cronEntry !== undefined) {
    schedule = values.coerce(cronEntry, (s) => {
      const r = parseCron(s, timezone);
      return r.ok ? { ok: true, value: s.trim() } : r;
    });
  }
  const overlapEntry = entry('overlap');
  const catchEntry = entry('catch-up');
  const fields: ScheduleFields = {
    schedule,
    scheduleTimezone: timezone,
    overlap: (overlapEntry === undefined ? null : values.coerce(overlapEntry, parseOverlap)) ?? 'skip',
    catchUp: (catchEntry === undefined ? null : values.coerce(catchEntry, parseBool)) ?? false,
  };
  if (cronEntry === undefined) {
    for (const e of [tzEntry, overlapEntry, catchEntry]) {
      if (e !== undefined) warn(e.line, `\`${e.key}\` has no effect without \`schedule\`; add a \`schedule\` or remove the line`);
    }
  }
  const restart = entry('restart');
  if (cronEntry !== undefined && restart !== undefined && restart.value.trim().toLowerCase() === 'always') {
    fail(restart.line, `\`restart = always\` cannot be combined with \`schedule\` (line ${cronEntry.line}): a scheduled job runs once per time; use \`on-failure\` to retry a failed run, or \`never\``);
  }
  const instances = entry('instances');
  if (cronEntry !== undefined && instances !== undefined && instances.value.trim() !== '1') {
    fail(instances.line, `\`instances\` cannot be more than 1 with \`schedule\` (line ${cronEntry.line})`);
  }
  return fields;
}
