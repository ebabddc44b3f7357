// The native dialect: one [vassal] section -> one VassalSpec, with every key checked and located.

import { dirname, resolve } from 'node:path';
import type { DialectContext, DialectModule, DialectResult } from './dialect.ts';
import type { IniDocument, IniEntry, IniSection } from './ini-source.ts';
import { expandMagic } from './magic.ts';
import { collectEntries, valueReader } from './native-entries.ts';
import type { Fail, ValueReader } from './native-entries.ts';
import { fieldOf } from './native-keys.ts';
import type { NativeKey } from './native-keys.ts';
import { checkSmartAttach, readSmartAttach, SMART } from './native-smart.ts';
import { checkCombinations, checkHealth, checkRotation } from './native-checks.ts';
import { parseAccount, parseAlarmName, parseEnvPair, parseHealthCheck, parseRestart } from './native-values.ts';
import { readDependsConditions, readReadiness } from './native-readiness.ts';
import { configError, configWarning, quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import { splitShellWords } from './shell-words.ts';
import { parseSocketAddress } from './socket-address.ts';
import type { ConfigProblem, Templated, VassalSpec } from './spec.ts';
import { defaultSpec, MAX_LOG_BACKUPS } from './spec-defaults.ts';
import { readSchedule } from './native-schedule.ts';
import { parseBool, parseDuration, parseExitCodes, parseInteger, parseOctal, parseSignal, parseSize } from './values.ts';

const SECTION = 'vassal';
const COMMAND_EXAMPLE = '`command = /usr/bin/python3 app.py`';

/** The native dialect as parse-file plugs it in. */
export const nativeDialect: DialectModule = {
  dialect: 'vassal',
  claims: (name) => name === SECTION,
  namedByFile: true,
  readOptions: { continuationLines: true, bareKeys: false, inlineCommentPrefixes: [';'] },
  build: buildNativeVassal,
};

/** Builds the one vassal of a native file from its [vassal] section, collecting every problem. */
export function buildNativeVassal(doc: IniDocument, ctx: DialectContext): DialectResult {
  const { file, name } = ctx;
  const problems: ConfigProblem[] = [];
  const fail: Fail = (line, message, code) => {
    problems.push(configError(file, line, message, code));
  };
  const first = checkSections(doc.sections, fail);
  if (first === null) return { vassals: [], problems };

  const sections = doc.sections.filter((s) => s.name === SECTION);
  const entries = collectEntries(sections.flatMap((s) => s.entries), fail);
  const lines: Record<string, number> = {};
  for (const [key, list] of entries) lines[fieldOf(key)] = (list[0] as IniEntry).line;

  const magic = { file, name, env: ctx.env };
  const values = valueReader(magic, fail);
  const one = <T>(key: NativeKey, parse: (s: string) => Outcome<T>, templated = false): T | null => {
    const entry = entries.get(key)?.[0];
    return entry === undefined ? null : values.coerce(entry, parse, templated);
  };
  const asIs = (s: string): Outcome<string> => ({ ok: true, value: s });
  const fileDir = dirname(file);

  const commandEntry = entries.get('command')?.[0];
  const smartEntry = entries.get(SMART)?.[0];
  if (commandEntry === undefined && smartEntry === undefined) {
    fail(
      first.line,
      `no \`command\` key: every [vassal] needs the program to run, e.g. ${COMMAND_EXAMPLE}, or \`${SMART} = PIDFILE COMMAND...\` for a program that daemonizes itself`,
    );
  }
  const smart = smartEntry === undefined ? null : readSmartAttach(smartEntry, values);
  const defaults = defaultSpec({ name, file, dialect: 'vassal', command: [], directory: fileDir });
  const startSecs = one('start-secs', parseDuration);
  const depends = readDependsConditions(entries.get('depends') ?? [], values, name);
  const spec: VassalSpec = {
    ...defaults,
    command: smart?.command ?? (commandEntry === undefined ? [] : readCommand(commandEntry, values, (w) => expandMagic(w, magic))),
    directory: one('directory', (s) => asIs(resolve(fileDir, s)), true) ?? fileDir,
    env: readEnv(entries.get('env') ?? [], values),
    user: one('user', parseAccount),
    group: one('group', parseAccount),
    umask: one('umask', parseOctal),
    // A scheduled job waits for its first time, and runs once per time.
    autostart: one('autostart', parseBool) ?? (entries.has('schedule') ? false : defaults.autostart),
    instances: one('instances', (s) => parseInteger(s, { min: 1, max: 1000 })) ?? defaults.instances,
    restart: one('restart', parseRestart) ?? (entries.has('schedule') ? 'never' : defaults.restart),
    exitCodes: one('exit-codes', parseExitCodes) ?? defaults.exitCodes,
    startSecs: startSecs ?? defaults.startSecs,
    startRetries: one('start-retries', (s) => parseInteger(s, { min: 0, max: 1_000_000 })) ?? defaults.startRetries,
    backoff: one('backoff', parseDuration) ?? defaults.backoff,
    backoffMax: one('backoff-max', parseDuration) ?? defaults.backoffMax,
    stopSignal: one('stop-signal', parseSignal) ?? defaults.stopSignal,
    stopTimeout: one('stop-timeout', parseDuration) ?? defaults.stopTimeout,
    reloadSignal: one('reload-signal', parseSignal),
    log: one('log', asIs, true),
    stdoutLog: one('stdout-log', asIs, true),
    stderrLog: one('stderr-log', asIs, true),
    logMaxSize: one('log-max-size', parseSize) ?? defaults.logMaxSize,
    logBackups: one('log-backups', (s) => parseInteger(s, { min: 0, max: MAX_LOG_BACKUPS })) ?? defaults.logBackups,
    depends: depends.running,
    healthCheck: one('health-check', parseHealthCheck, true),
    healthInterval: one('health-interval', (s) => positive(parseDuration(s), '`10s`')) ?? defaults.healthInterval,
    healthTimeout: one('health-timeout', (s) => positive(parseDuration(s), '`2s`')) ?? defaults.healthTimeout,
    healthRetries: one('health-retries', (s) => parseInteger(s, { min: 1, max: 1_000_000 })) ?? defaults.healthRetries,
    maxRss: one('max-rss', (s) => positive(parseSize(s), '`512M`')),
    memoryMax: one('memory-max', (s) => positive(parseSize(s), '`512M`')),
    cpuWeight: one('cpu-weight', (s) => parseInteger(s, { min: 1, max: 10_000 })),
    pidsMax: one('pids-max', (s) => parseInteger(s, { min: 1, max: 4_194_304 })),
    pidfile: smart?.pidfile ?? null,
    socket: one('socket', parseSocketAddress),
    alarm: (entries.get('alarm') ?? []).flatMap((e) => values.coerce(e, parseAlarmName) ?? []).filter((n, i, all) => all.indexOf(n) === i),
    ...readSchedule(entries, values, fail, (line, m) => void problems.push(configWarning(file, line, m))),
    lines,
  };
  checkCombinations(spec, fail);
  const warn = (line: number, message: string): void => {
    problems.push(configWarning(file, line, message));
  };
  if (smartEntry !== undefined) checkSmartAttach(spec, startSecs, fail, warn);
  const readiness = readReadiness(entries, values, spec, depends.completed, fail, warn);
  if (readiness !== null) spec.readiness = readiness;
  const backoffLine = lines['backoff'];
  if (backoffLine !== undefined && spec.backoff > spec.backoffMax) {
    warn(backoffLine, `\`backoff\` is longer than \`backoff-max\` (${spec.backoffMax} ms), so every retry waits \`backoff-max\``);
  }
  checkHealth(spec, entries, warn);
  checkRotation(spec, warn);
  return { vassals: [spec], problems };
}

/** A parsed duration or size that must be more than zero. */
function positive(r: Outcome<number>, example: string): Outcome<number> {
  if (!r.ok || r.value > 0) return r;
  return { ok: false, message: `must be more than 0, e.g. ${example}` };
}

/** Reports repeated [vassal] headers and foreign sections; returns the first [vassal], or null. */
function checkSections(sections: readonly IniSection[], fail: Fail): IniSection | null {
  const first = sections.find((s) => s.name === SECTION) ?? null;
  for (const s of sections) {
    if (s.name !== SECTION) {
      fail(s.line, `section ${quote(`[${s.name}]`)} has no meaning in a native vassal file; remove it or move its keys into [vassal]`);
    } else if (s !== first) {
      fail(s.line, `[vassal] is repeated (first on line ${first?.line}); put all keys in one [vassal] section`);
    }
  }
  return first;
}

/** argv: split like a shell first, then each word expanded, so a `%d` or `$(VAR)` holding spaces stays one word. */
function readCommand(
  entry: IniEntry,
  values: ValueReader,
  expandWord: (word: string) => Outcome<Templated>,
): Templated[] {
  const words = splitShellWords(entry.value);
  if (!words.ok) {
    values.report(entry, words);
    return [];
  }
  if (words.value.length === 0) {
    values.report(entry, { message: `no program given; write the program to run, e.g. ${COMMAND_EXAMPLE}` });
    return [];
  }
  const argv: Templated[] = [];
  for (const word of words.value) {
    const r = expandWord(word);
    if (!r.ok) {
      values.report(entry, r);
      return [];
    }
    argv.push(r.value);
  }
  // A copy of exactly its size: the spec keeps it for the vassal's life, and a pushed-to array keeps spare room.
  return argv.slice();
}

/** `env = KEY=VALUE` lines in file order; the value may use magic variables, `%i` included. */
function readEnv(entries: readonly IniEntry[], values: ValueReader): Array<[string, Templated]> {
  const env: Array<[string, Templated]> = [];
  for (const entry of entries) {
    const pair = parseEnvPair(entry.value);
    if (!pair.ok) {
      values.report(entry, pair);
      continue;
    }
    const [key, raw] = pair.value;
    const value = raw === '' ? '' : values.expand({ ...entry, value: raw }, true);
    if (value !== null) env.push([key, value]);
  }
  return env;
}
