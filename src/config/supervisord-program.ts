// One [program:x] -> one VassalSpec, key by key as supervisord's options.py reads it.

import { resolve } from 'node:path';
import type { IniEntry } from './ini-source.ts';
import { parseAccount } from './native-values.ts';
import { quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import type { Templated, VassalSpec } from './spec.ts';
import { defaultSpec } from './spec-defaults.ts';
import { expandPercent } from './supervisord-expand.ts';
import { IGNORED_KEYS } from './supervisord-keys.ts';
import { logTarget, mapLogs } from './supervisord-logs.ts';
import type { StreamKeys } from './supervisord-logs.ts';
import { makeNames } from './supervisord-names.ts';
import type { Names } from './supervisord-names.ts';
import type { ProgramSource, Report } from './supervisord-sections.ts';
import { parseEnvironment, splitCommand } from './supervisord-shlex.ts';
import { checkIgnored, pyAutorestart, pyByteSize, pyExitCodes, pyInteger, pySeconds } from './supervisord-values.ts';
import { parseBool, parseOctal, parseSignal } from './values.ts';
import { VASSAL_NAME } from './vassal-files.ts';

/** What every program of one file shares. */
export interface FileScope {
  file: string;
  /** the file's directory: `%(here)s` and the default `directory`. */
  dir: string;
  /** the emperor's environment with [supervisord] `environment` over it, for `%(ENV_X)s`. */
  envNames: ReadonlyMap<string, string>;
  /** [supervisord] `environment`: every program's environment starts with it. */
  baseEnv: ReadonlyArray<[string, string]>;
  groupOf: ReadonlyMap<string, string>;
}

const ALLOW_EMPTY = new Set(['environment', 'exitcodes', 'serverurl']);
const COMMAND_EXAMPLE = '`command = /usr/bin/python3 app.py`';
const LOG_KEYS = new Set(['stdout_logfile', 'stderr_logfile']);
const FIELD_OF: Readonly<Record<string, string>> = {
  command: 'command', directory: 'directory', environment: 'env', user: 'user', umask: 'umask',
  autostart: 'autostart', numprocs: 'instances', autorestart: 'restart', exitcodes: 'exitCodes',
  startsecs: 'startSecs', startretries: 'startRetries', stopsignal: 'stopSignal', stopwaitsecs: 'stopTimeout',
  process_name: 'instanceNames',
};

/** Builds the vassal of one [program:x]; problems go to `fail` and `warn` (the spec is meaningless after an error). */
export function buildProgram(src: ProgramSource, scope: FileScope, fail: Report, warn: Report): VassalSpec {
  const { name, entries } = src;
  if (!VASSAL_NAME.test(name)) {
    fail(src.line, `the vassal name ${quote(name)} comes from [program:${name}] and may only hold letters, digits, \`_\`, \`.\`, \`@\` and \`-\`; rename the program`);
  }
  const names = makeNames(name, scope);
  const lines: Record<string, number> = {};
  for (const key of entries.keys()) {
    const field = FIELD_OF[key];
    if (field !== undefined) lines[field] = (entries.get(key) as IniEntry).line;
  }

  /** The expanded value of a key, or null (absent, or reported). */
  const read = (key: string, lookup: Names['fixed'] = names.fixed): Templated | null => {
    const entry = entries.get(key);
    if (entry === undefined) return null;
    if (entry.value === '' && !ALLOW_EMPTY.has(key)) {
      fail(entry.line, `\`${key}\` is empty; give it a value or remove the line`);
      return null;
    }
    const r = expandPercent(entry.value, lookup.get, lookup.unknown);
    if (!r.ok) {
      fail(entry.line, `\`${key}\`: ${r.message}`, 'E_VALUE_INVALID');
      return null;
    }
    if (r.value.inexact !== null) {
      const reason = names.start === 0 ? 'without padding' : 'from 0, not from `numprocs_start`';
      const head = `\`${key}\`: ${quote(r.value.inexact)} becomes the instance number, which emperor writes as 0, 1, 2... (${reason})`;
      if (LOG_KEYS.has(key)) warn(entry.line, `${head}, so the file names differ from supervisord's`);
      else fail(entry.line, `${head}; write \`%(process_num)d\`${names.start === 0 ? '' : ' and remove `numprocs_start`'}, or number the instances in the program itself`);
    }
    return r.value.text;
  };
  const coerce = <T>(key: string, parse: (s: string) => Outcome<T>, lookup?: Names['fixed']): T | null => {
    const text = read(key, lookup);
    if (text === null) return null;
    const r = parse(text);
    if (r.ok) return r.value;
    fail((entries.get(key) as IniEntry).line, `\`${key}\`: ${r.message}`, 'E_VALUE_INVALID');
    return null;
  };
  const line = (key: string): number => entries.get(key)?.line ?? src.line;

  const instances = coerce('numprocs', (s) => pyInteger(s, { min: 1, max: 1000 })) ?? 1;
  names.setInstances(instances, coerce('numprocs_start', (s) => pyInteger(s, { min: 0, max: 1_000_000 })) ?? 0);
  for (const key of ['stopasgroup', 'killasgroup']) {
    if (coerce(key, parseBool) === false) {
      warn(line(key), `\`${key} = false\`: emperor always signals the whole process group, so the program's children get the signal too; ignored`);
    }
  }
  for (const [key, kind] of Object.entries(IGNORED_KEYS)) {
    if (!entries.has(key) || coerce(key, (s) => checkIgnored(kind, s)) === null) continue;
    // Read by the event listeners (PROCESS_LOG_* events), not by the vassal.
    if (key === 'stdout_events_enabled' || key === 'stderr_events_enabled') continue;
    const why = key === 'priority' ? ': vassals start side by side, not in priority order (a native [vassal] file can wait for others with `depends`)' : '';
    warn(line(key), `\`${key}\` has no equivalent in emperor; ignored${why}`);
  }

  const env = readEnvironment(read('environment', names.perProcess), line('environment'), fail, warn);
  names.addProgramEnv(env);
  const perProcess = names.perProcess;
  const stream = (s: 'stdout' | 'stderr'): StreamKeys => {
    const path = read(`${s}_logfile`, perProcess);
    const maxBytes = coerce(`${s}_logfile_maxbytes`, pyByteSize);
    const backups = coerce(`${s}_logfile_backups`, (t) => pyInteger(t, { min: -1_000_000, max: 1_000_000 }));
    return {
      target: path === null ? { kind: 'default' } : logTarget(path, line(`${s}_logfile`)),
      maxBytes: maxBytes === null ? null : { value: maxBytes, line: line(`${s}_logfile_maxbytes`) },
      backups: backups === null ? null : { value: backups, line: line(`${s}_logfile_backups`) },
    };
  };
  const logs = mapLogs(stream('stdout'), stream('stderr'), coerce('redirect_stderr', parseBool) ?? false, warn);
  Object.assign(lines, logs.lines);

  if (!entries.has('command')) {
    fail(src.line, `[program:${name}] has no \`command\`: supervisord needs the program to run, e.g. ${COMMAND_EXAMPLE}`);
  }
  const startRetries = coerce('startretries', (s) => pyInteger(s, { min: 0, max: 999_999 }));
  return {
    ...defaultSpec({
      name,
      file: scope.file,
      dialect: 'supervisord',
      command: coerce('command', (s) => argv(s), perProcess) ?? [],
      directory: coerce('directory', (s): Outcome<string> => ({ ok: true, value: resolve(scope.dir, s) }), perProcess) ?? scope.dir,
    }),
    env: [...scope.baseEnv, ...env],
    user: coerce('user', parseAccount),
    umask: coerce('umask', parseOctal),
    autostart: coerce('autostart', parseBool) ?? true,
    instances,
    // supervisord's defaults where they differ from native ones: autorestart=unexpected, startretries=3.
    restart: coerce('autorestart', pyAutorestart) ?? 'on-failure',
    exitCodes: coerce('exitcodes', pyExitCodes) ?? [0],
    startSecs: coerce('startsecs', pySeconds) ?? 1000,
    startRetries: (startRetries ?? 3) + 1,
    stopSignal: coerce('stopsignal', parseSignal) ?? 'SIGTERM',
    stopTimeout: coerce('stopwaitsecs', pySeconds) ?? 10_000,
    log: logs.log,
    stdoutLog: logs.stdoutLog,
    stderrLog: logs.stderrLog,
    // supervisord's defaults, not native ones, when the keys are not written: 50MB and 10 backups.
    logMaxSize: logs.logMaxSize,
    logBackups: logs.logBackups,
    instanceNames: names.instanceNames(entries.get('process_name'), entries.get('numprocs'), fail),
    lines,
  };
}

/** `command`, split as supervisord splits it when it starts the process (after expanding). */
function argv(text: string): Outcome<string[]> {
  const words = splitCommand(text);
  if (!words.ok || (words.value[0] ?? '') !== '') return words;
  return { ok: false, message: `no program given; write the program to run, e.g. ${COMMAND_EXAMPLE}` };
}

/** The program's `environment` pairs (already expanded), or none after a reported problem. */
function readEnvironment(text: string | null, line: number, fail: Report, warn: Report): Array<[string, Templated]> {
  if (text === null) return [];
  const r = parseEnvironment(text);
  if (!r.ok) {
    fail(line, `\`environment\`: ${r.message}`, 'E_VALUE_INVALID');
    return [];
  }
  if (r.value.commentCut) {
    warn(line, '`environment`: a `#` outside quotes starts a comment (supervisord reads this value with shlex), so the rest of its line is dropped; quote the value to keep the `#`');
  }
  const dropped = r.value.dropped;
  if (dropped !== null) {
    warn(line, `\`environment\`: ${quote(dropped.token)} after ${quote(dropped.after)} is dropped, as supervisord drops it; quote values holding blanks (\`KEY="a b"\`) and separate pairs with commas`);
  }
  return r.value.pairs;
}
