// The readiness keys of [vassal]: notify, watchdog, watchdog-signal, start-timeout, ready-log-line, depends NAME:CONDITION.
import type { IniEntry } from './ini-source.ts';
import type { Fail, ValueReader } from './native-entries.ts';
import type { NativeKey } from './native-keys.ts';
import { parseDependsList } from './native-values.ts';
import { quote } from './problems.ts';
import { defaultReadiness, type ReadinessSpec } from './readiness-spec.ts';
import type { Outcome } from '../core/errors.ts';
import type { VassalSpec } from './spec.ts';
import { parseBool, parseDuration, parseSignal } from './values.ts';

/** The conditions `depends = NAME:CONDITION` knows. */
const CONDITIONS = ['running', 'completed'] as const;

/** A JavaScript regular expression, compiled once here so a bad one is a located error. */
export function parseRegex(text: string): Outcome<string> {
  try {
    new RegExp(text);
    return { ok: true, value: text };
  } catch (err) {
    return { ok: false, message: `${quote(text)} is not a valid JavaScript regular expression (${(err as Error).message}); write \`%%\` for a literal percent sign` };
  }
}

const positiveDuration = (text: string): Outcome<number> => {
  const r = parseDuration(text);
  return !r.ok || r.value > 0 ? r : { ok: false, message: 'must be more than 0, e.g. `30s`' };
};

/** `depends` lines split by condition: plain names and `NAME:running` wait for RUNNING, `NAME:completed` for a successful exit. */
export function readDependsConditions(entries: readonly IniEntry[], values: ValueReader, self: string): { running: string[]; completed: string[] } {
  const running: string[] = [];
  const completed: string[] = [];
  for (const entry of entries) {
    const words = values.coerce(entry, (s) => parseDependsWithConditions(s, self));
    for (const { name, condition } of words ?? []) {
      const list = condition === 'completed' ? completed : running;
      if (!list.includes(name)) list.push(name);
    }
  }
  return { running, completed };
}

/** `db, migrate:completed` -> each name with its condition (`running` when none is written). */
export function parseDependsWithConditions(text: string, self: string): Outcome<Array<{ name: string; condition: (typeof CONDITIONS)[number] }>> {
  const out: Array<{ name: string; condition: (typeof CONDITIONS)[number] }> = [];
  const words = text.split(/[\s,]+/).filter((w) => w !== '');
  for (const word of words) {
    const colon = word.lastIndexOf(':');
    const condition = colon < 0 ? 'running' : word.slice(colon + 1);
    if (!(CONDITIONS as readonly string[]).includes(condition)) {
      return {
        ok: false,
        message: `unknown condition ${quote(condition)} in ${quote(word)}: write \`NAME\` or \`NAME:running\` (wait until it is RUNNING, which means ready) or \`NAME:completed\` (wait until a one-shot has exited with a code in its \`exit-codes\`)`,
      };
    }
    const name = colon < 0 ? word : word.slice(0, colon);
    const checked = parseDependsList(name, self);
    if (!checked.ok) return checked;
    out.push({ name, condition: condition as (typeof CONDITIONS)[number] });
  }
  if (out.length === 0) return { ok: false, message: 'expected vassal names separated by commas, e.g. `db, cache`' };
  return { ok: true, value: out };
}

/** Reads the readiness keys and checks how they combine with the rest of the spec; null when none is written. */
export function readReadiness(
  entries: ReadonlyMap<NativeKey, IniEntry[]>,
  values: ValueReader,
  spec: VassalSpec,
  completed: string[],
  fail: Fail,
  warn: Fail,
): ReadinessSpec | null {
  const keys: NativeKey[] = ['notify', 'watchdog', 'watchdog-signal', 'start-timeout', 'ready-log-line'];
  if (completed.length === 0 && keys.every((k) => !entries.has(k))) return null;
  const one = <T>(key: NativeKey, parse: (s: string) => Outcome<T>): T | null => {
    const entry = entries.get(key)?.[0];
    return entry === undefined ? null : values.coerce(entry, parse);
  };
  const line = (key: NativeKey): number | undefined => entries.get(key)?.[0]?.line;
  const defaults = defaultReadiness();
  const r: ReadinessSpec = {
    notify: one('notify', parseBool) ?? false,
    watchdog: one('watchdog', positiveDuration),
    watchdogSignal: one('watchdog-signal', parseSignal) ?? defaults.watchdogSignal,
    startTimeout: one('start-timeout', positiveDuration) ?? defaults.startTimeout,
    readyLogLine: one('ready-log-line', parseRegex),
    dependsCompleted: completed,
    uwsgi: null,
  };
  const smartLine = spec.lines['smartAttachDaemon'];
  for (const key of ['notify', 'ready-log-line'] as const) {
    const at = line(key);
    if (at === undefined || smartLine === undefined) continue;
    fail(
      at,
      `\`${key}\` cannot be combined with \`smart-attach-daemon\` (line ${smartLine}): a daemon is not the emperor's child and has no output pipe; it is RUNNING once its pidfile names it, or run it in the foreground with \`command\``,
    );
  }
  const watchdogLine = line('watchdog');
  if (watchdogLine !== undefined && !r.notify) {
    fail(watchdogLine, '`watchdog` needs `notify = true`: the vassal sends WATCHDOG=1 over its NOTIFY_SOCKET; add `notify = true` or remove the line');
  }
  const signalLine = line('watchdog-signal');
  if (signalLine !== undefined && watchdogLine === undefined) warn(signalLine, '`watchdog-signal` has no effect without `watchdog`; add `watchdog = DURATION` or remove the line');
  const timeoutLine = line('start-timeout');
  const announces = r.notify || r.readyLogLine !== null;
  if (timeoutLine !== undefined && !announces) {
    warn(timeoutLine, '`start-timeout` has no effect: it bounds the wait for `notify` or `ready-log-line`; without them `start-secs` decides');
  }
  const secsLine = spec.lines['startSecs'];
  if (timeoutLine !== undefined && secsLine !== undefined && r.startTimeout < spec.startSecs) {
    fail(timeoutLine, `\`start-timeout\` (${r.startTimeout} ms) is shorter than \`start-secs\` (line ${secsLine}, ${spec.startSecs} ms); make \`start-timeout\` at least \`start-secs\``);
  } else if (announces && secsLine !== undefined && smartLine === undefined) {
    warn(secsLine, `\`start-secs\` does not apply with \`${r.notify ? 'notify' : 'ready-log-line'}\`: the vassal is RUNNING once it says it is ready, within \`start-timeout\``);
  }
  return r;
}
