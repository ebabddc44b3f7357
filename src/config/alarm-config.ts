// The emperor's alarms from its --config file: the `[alarm:NAME]` sections and the `alarm*` keys of
// `[emperor]`, checked with their lines (pure: the caller reads the file).
import { readIni } from './ini-source.ts';
import { formatProblem } from './parse-file.ts';
import { parseDuration, parseInteger } from './values.ts';
import { closestWord } from './suggest.ts';
import { ALARM_EVENTS, type AlarmEvent, type AlarmPolicy } from '../core/alarm-machine.ts';

/** The keys of `[emperor]` read here rather than as emperor options. */
export const EMPEROR_ALARM_KEYS: readonly string[] = ['alarm', 'alarm-interval', 'alarm-timeout', 'alarm-flapping', 'alarm-events'];
/** The keys of an `[alarm:NAME]` section. */
export const ALARM_SECTION_KEYS: readonly string[] = ['exec', 'webhook', 'webhook-header-file', 'alarm-timeout', 'alarm-events'];

/** One `[alarm:NAME]`: a command or a webhook, and which events it takes. */
export interface AlarmTarget {
  name: string;
  how: { type: 'exec'; command: string } | { type: 'webhook'; url: string; headerFile: string | null };
  timeoutMs: number;
  events: ReadonlySet<AlarmEvent>;
  /** where it is defined, for messages. */
  file: string;
  line: number;
}

/** Every alarm setting of the emperor. */
export interface AlarmSettings {
  targets: ReadonlyMap<string, AlarmTarget>;
  /** `alarm = NAME` lines of `[emperor]`: every vassal's alarms. */
  everyVassal: readonly string[];
  policy: AlarmPolicy;
}

/** No alarms at all (no --config, or none in it). */
export const NO_ALARMS: AlarmSettings = { targets: new Map(), everyVassal: [], policy: { intervalMs: 60_000, flapping: null } };

/** `alarm-interval`'s default: 60 s. */
export const DEFAULT_ALARM_INTERVAL_MS = 60_000;
/** `alarm-timeout`'s default: 30 s. */
export const DEFAULT_ALARM_TIMEOUT_MS = 30_000;

/** Reads the alarm settings of a --config file's text; errors as `FILE:LINE: message` lines. */
export function readAlarmSettings(file: string, text: string): { ok: true; value: AlarmSettings } | { ok: false; errors: string[] } {
  const doc = readIni(file, text);
  const errors = doc.problems.filter((p) => !p.warning).map(formatProblem);
  const at = (line: number, message: string): void => void errors.push(`${file}:${line}: ${message}`);
  const duration = (key: string, value: string, line: number): number | null => {
    const r = parseDuration(value);
    if (r.ok && r.value > 0) return r.value;
    at(line, `\`${key}\`: ${r.ok ? 'must be more than 0, e.g. `30s`' : r.message}`);
    return null;
  };
  const events = (value: string, line: number): Set<AlarmEvent> => {
    const out = new Set<AlarmEvent>();
    for (const word of value.split(/[\s,]+/).filter((w) => w !== '')) {
      if ((ALARM_EVENTS as readonly string[]).includes(word)) out.add(word as AlarmEvent);
      else at(line, `\`alarm-events\`: unknown event \`${word}\`; the events are ${ALARM_EVENTS.join(', ')}`);
    }
    return out;
  };
  let intervalMs = DEFAULT_ALARM_INTERVAL_MS;
  let timeoutMs = DEFAULT_ALARM_TIMEOUT_MS;
  let flapping: AlarmPolicy['flapping'] = null;
  let defaultEvents: ReadonlySet<AlarmEvent> = new Set(ALARM_EVENTS);
  const everyVassal: Array<{ name: string; line: number }> = [];
  for (const section of doc.sections.filter((s) => s.name === 'emperor')) {
    for (const e of section.entries) {
      if (e.key === 'alarm') everyVassal.push({ name: e.value, line: e.line });
      else if (e.key === 'alarm-interval') intervalMs = duration(e.key, e.value, e.line) ?? intervalMs;
      else if (e.key === 'alarm-timeout') timeoutMs = duration(e.key, e.value, e.line) ?? timeoutMs;
      else if (e.key === 'alarm-events') defaultEvents = events(e.value, e.line);
      else if (e.key === 'alarm-flapping') flapping = readFlapping(e.value, (m) => at(e.line, m)) ?? flapping;
    }
  }
  const targets = new Map<string, AlarmTarget>();
  for (const section of doc.sections.filter((s) => s.name.startsWith('alarm:'))) {
    const name = section.name.slice('alarm:'.length);
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) at(section.line, `[${section.name}]: an alarm name is letters, digits, \`_\`, \`.\` and \`-\``);
    const keys = new Map<string, { value: string; line: number }>();
    for (const e of section.entries) {
      if (!ALARM_SECTION_KEYS.includes(e.key)) {
        const near = closestWord(e.key, ALARM_SECTION_KEYS);
        at(e.line, `unknown key \`${e.key}\` in [${section.name}]${near ? `; did you mean \`${near}\`?` : ''}`);
      } else if (keys.has(e.key)) at(e.line, `\`${e.key}\` is set twice in [${section.name}]; keep one`);
      else keys.set(e.key, { value: e.value, line: e.line });
    }
    const exec = keys.get('exec');
    const hook = keys.get('webhook');
    const header = keys.get('webhook-header-file');
    if ((exec === undefined) === (hook === undefined)) {
      at(section.line, `[${section.name}] needs exactly one of \`exec = COMMAND\` and \`webhook = URL\``);
      continue;
    }
    if (hook !== undefined && !/^https?:\/\/[^\s/]+/.test(hook.value)) at(hook.line, `\`webhook\` must be an http:// or https:// URL, not \`${hook.value}\``);
    if (header !== undefined && hook === undefined) at(header.line, '`webhook-header-file` needs `webhook`');
    const timeout = keys.get('alarm-timeout');
    const own = keys.get('alarm-events');
    targets.set(name, {
      name,
      how: exec !== undefined ? { type: 'exec', command: exec.value } : { type: 'webhook', url: hook?.value ?? '', headerFile: header?.value ?? null },
      timeoutMs: timeout === undefined ? timeoutMs : duration('alarm-timeout', timeout.value, timeout.line) ?? timeoutMs,
      events: own === undefined ? defaultEvents : events(own.value, own.line),
      file,
      line: section.line,
    });
  }
  for (const a of everyVassal) if (!targets.has(a.name)) at(a.line, unknownAlarm(a.name, targets));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { targets, everyVassal: everyVassal.map((a) => a.name), policy: { intervalMs, flapping } } };
}

/** The message for `alarm = NAME` naming no `[alarm:NAME]`. */
export function unknownAlarm(name: string, targets: ReadonlyMap<string, AlarmTarget>): string {
  const near = closestWord(name, [...targets.keys()]);
  return `\`alarm = ${name}\` names no [alarm:${name}] section in --config${near ? `; did you mean \`${near}\`?` : ''}`;
}

/** `N in DURATION`: N failed starts within DURATION. */
function readFlapping(value: string, bad: (message: string) => void): AlarmPolicy['flapping'] {
  const m = /^\s*(\S+)\s+in\s+(\S+)\s*$/.exec(value);
  const count = m === null ? null : parseInteger(m[1] ?? '', { min: 2, max: 10_000 });
  const window = m === null ? null : parseDuration(m[2] ?? '');
  if (count === null || window === null || !count.ok || !window.ok || window.value <= 0) {
    bad(`\`alarm-flapping\` must be \`N in DURATION\` (N from 2), e.g. \`5 in 60s\`, not \`${value}\``);
    return null;
  }
  return { count: count.value, windowMs: window.value };
}
