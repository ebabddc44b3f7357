// Cron expressions through croner, loaded only when a vassal has a `schedule` (about 2-3 ms, measured
// with createRequire on this machine): an emperor without scheduled vassals never loads it.
import { createRequire } from 'node:module';
import type { Outcome } from '../core/errors.ts';

/** The part of croner's Cron this uses. */
interface CronJob {
  nextRun(prev?: Date): Date | null;
}
type CronClass = new (pattern: string, options: { paused: boolean; timezone?: string; legacyMode?: boolean }) => CronJob;

let loaded: CronClass | null = null;
function cronClass(): CronClass {
  if (loaded === null) {
    const mod = createRequire(import.meta.url)('croner') as { Cron: CronClass };
    loaded = mod.Cron;
  }
  return loaded;
}

/** Whether croner has been loaded (the load-only-when-needed rule is tested). */
export function cronLoaded(): boolean {
  return loaded !== null;
}

/** A parsed schedule: the next run after a time. */
export interface CronSchedule {
  next(after: Date): Date | null;
}

/** A timezone name the system knows (`Europe/Paris`, `UTC`). */
export function parseTimezone(text: string): Outcome<string> {
  try {
    new Intl.DateTimeFormat('en', { timeZone: text });
    return { ok: true, value: text };
  } catch {
    return { ok: false, message: `unknown timezone \`${text}\`; use an IANA name such as \`UTC\` or \`Europe/Paris\`` };
  }
}

/** Five fields, six with seconds first, or `@hourly`, `@daily`...; in `timezone` (the emperor's when null). */
export function parseCron(text: string, timezone: string | null): Outcome<CronSchedule> {
  const Cron = cronClass();
  try {
    const job = new Cron(text.trim(), { paused: true, legacyMode: true, ...(timezone === null ? {} : { timezone }) });
    return { ok: true, value: { next: (after) => job.nextRun(after) } };
  } catch (err) {
    return {
      ok: false,
      message: `not a cron expression (${(err as Error).message.replace(/^CronPattern: /, '')}); write five fields \`MIN HOUR DAY MONTH WEEKDAY\` (\`30 2 * * *\`), six with seconds first, or \`@hourly\`, \`@daily\`, \`@weekly\`, \`@monthly\`, \`@yearly\``,
    };
  }
}
