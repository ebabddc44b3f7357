// uWSGI's four daemon options (core/daemons.c), each line read into what emperor supervises it with.

import { parseAccount } from './native-values.ts';
import { quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import { checkPidfile, firstWordHint, noCommandAfterPidfile, splitPidfileLine } from './smart-daemon.ts';
import { closestWord } from './suggest.ts';
import { parseBool, parseInteger, parseSignal } from './values.ts';

/** The keys that attach a daemon, one vassal per line. */
export const DAEMON_KEYS = ['attach-daemon', 'smart-attach-daemon', 'attach-daemon2', 'smart-attach-daemon2'] as const;

/** One key of DAEMON_KEYS. */
export type DaemonKey = (typeof DAEMON_KEYS)[number];

/** What one daemon line sets; null fields keep the file's or the native default. */
export interface DaemonLine {
  /** run through `/bin/sh -c`, as uWSGI runs it. */
  command: string;
  pidfile: string | null;
  pidfileBy: 'daemon' | 'emperor';
  /** `freq`: seconds uWSGI waits for the pidfile before it respawns; in ms, before the daemon minimum. */
  startSecs: number | null;
  /** `max_throttle`: the cap of uWSGI's respawn delay, in ms. */
  backoffMax: number | null;
  stopSignal: string | null;
  reloadSignal: string | null;
  user: string | null;
  group: string | null;
  /** as written; relative to the file's `chdir`. */
  directory: string | null;
}

/** Where a line's problems go; the caller puts the key and the line in front. */
export interface LineReport {
  fail(message: string): void;
  warn(message: string): void;
}

/** A `freq` is whole seconds; uWSGI reads it with atoi. */
const FREQ = { min: 1, max: 2_147_483 };
const AD2 = 'attach-daemon2';
const AD2_EXAMPLE = '`attach-daemon2 = command=redis-server /etc/redis.conf,pidfile=/run/redis.pid,daemonize=true`';
const AD2_KEYS: Readonly<Record<string, string>> = {
  command: 'command', cmd: 'command', exec: 'command', freq: 'freq', pidfile: 'pidfile', control: 'control',
  daemonize: 'daemonize', daemon: 'daemonize', touch: 'touch', stopsignal: 'stopsignal', stop_signal: 'stopsignal',
  reloadsignal: 'reloadsignal', reload_signal: 'reloadsignal', stdin: 'stdin', uid: 'uid', gid: 'gid',
  ns_pid: 'ns_pid', chdir: 'chdir', max_throttle: 'max_throttle', notifypid: 'notifypid', legion: 'legion',
};
const EXAMPLES: Readonly<Record<DaemonKey, string>> = {
  'attach-daemon': '`attach-daemon = celery -A app worker`',
  'smart-attach-daemon': '`smart-attach-daemon = /run/redis.pid redis-server /etc/redis.conf`',
  'smart-attach-daemon2': '`smart-attach-daemon2 = /run/celery.pid celery -A app worker`',
  'attach-daemon2': AD2_EXAMPLE,
};
/** attach-daemon2 flags with no equivalent here, and what they would have done. */
const AD2_NO_EQUIVALENT: Readonly<Record<string, string>> = {
  control: 'stops the whole uWSGI instance when the daemon dies; emperor restarts the daemon alone',
  stdin: "gives the daemon uWSGI's stdin; under emperor its stdin is /dev/null",
  ns_pid: 'runs the daemon in a new pid namespace; emperor runs it in its own',
  notifypid: "sends the daemon's pid to uWSGI's notify socket; emperor has no such socket",
};

/** Reads the (expanded) value of one daemon line, or returns null after reporting why it cannot run. */
export function readDaemonLine(key: DaemonKey, value: string, report: LineReport): DaemonLine | null {
  const plain: DaemonLine = {
    command: value, pidfile: null, pidfileBy: 'daemon', startSecs: null, backoffMax: null,
    stopSignal: null, reloadSignal: null, user: null, group: null, directory: null,
  };
  if (value.trim() === '') {
    report.fail(`no command given; write the daemon to run, e.g. ${EXAMPLES[key]}`);
    return null;
  }
  if (key === 'attach-daemon') return plain;
  if (key === AD2) return readAttachDaemon2(value, plain, report);

  const { first, rest } = splitPidfileLine(value);
  const comma = first.indexOf(',');
  const path = comma === -1 ? first : first.slice(0, comma);
  const pidfile = checkPidfile(path, firstWordHint(key));
  if (!pidfile.ok) return failed(report, pidfile);
  let startSecs: number | null = null;
  if (comma !== -1) {
    const freq = parseInteger(first.slice(comma + 1), FREQ);
    if (!freq.ok) return failed(report, { message: `\`FREQ\` in \`PIDFILE,FREQ\` (the seconds the pidfile may take to appear): ${freq.message}` });
    startSecs = freq.value * 1000;
  }
  if (rest === '') return failed(report, { message: noCommandAfterPidfile(key, pidfile.value) });
  const pidfileBy = key === 'smart-attach-daemon2' ? 'emperor' : 'daemon';
  return { ...plain, command: rest, pidfile: pidfile.value, pidfileBy, startSecs };
}

function failed(report: LineReport, r: { message: string }): null {
  report.fail(r.message);
  return null;
}

/** `attach-daemon2 = key=value,...`: a comma inside a value is `\,` (a backslash escapes any character). */
function readAttachDaemon2(value: string, plain: DaemonLine, report: LineReport): DaemonLine | null {
  const given = new Map<string, string>();
  let ok = true;
  for (const item of splitEscaped(value, ',')) {
    const eq = item.indexOf('=');
    if (eq === -1) {
      const bare = item.trim();
      if (bare === '') continue;
      report.fail(
        Object.hasOwn(AD2_KEYS, bare)
          ? `\`${bare}\` has no value, and uWSGI ignores an item without \`=\`; write \`${bare}=true\``
          : `expected \`key=value\` items separated by commas, got ${quote(bare)}; write a comma inside a value as \`\\,\``,
      );
      ok = false;
      continue;
    }
    const written = item.slice(0, eq).trim();
    const name = Object.hasOwn(AD2_KEYS, written) ? AD2_KEYS[written] : undefined;
    if (name === undefined) {
      const near = closestWord(written, Object.keys(AD2_KEYS));
      report.fail(`unknown ${AD2} key ${quote(written)}${near === null ? '' : `; did you mean \`${near}\`?`} (the keys are ${Object.keys(AD2_KEYS).map((k) => `\`${k}\``).join(', ')})`);
      ok = false;
      continue;
    }
    if (given.has(name)) report.warn(`\`${name}\` is given twice; the last one counts, as in uWSGI`);
    given.set(name, item.slice(eq + 1).trim());
  }
  const command = given.get('command');
  if (command === undefined || command === '') {
    report.fail(`no \`command=\`: ${AD2} needs the command to run, e.g. ${AD2_EXAMPLE}`);
    return null;
  }
  const out: DaemonLine = { ...plain, command };
  const read = <T>(name: string, parse: (s: string) => Outcome<T>): T | null => {
    const text = given.get(name);
    if (text === undefined) return null;
    const r = parse(text);
    if (r.ok) return r.value;
    report.fail(`\`${name}=\`: ${r.message}`);
    ok = false;
    return null;
  };
  const flag = (s: string): Outcome<boolean> => (s === '' ? { ok: true, value: true } : parseBool(s));
  const pidfileHint = `pidfile= must be the absolute path of the daemon's pidfile, e.g. ${AD2_EXAMPLE}`;
  out.pidfile = read('pidfile', (s) => checkPidfile(s, pidfileHint));
  const daemonize = read('daemonize', flag) ?? false;
  if (daemonize && out.pidfile === null && !given.has('pidfile')) {
    report.fail('`daemonize=` needs `pidfile=`: the command is forked into the background and its pid written there; add `pidfile=/run/NAME.pid` or remove `daemonize`');
    ok = false;
  }
  out.pidfileBy = daemonize ? 'emperor' : 'daemon';
  const freq = read('freq', (s) => parseInteger(s, FREQ));
  if (freq !== null && !given.has('pidfile')) report.warn('`freq=` only counts with `pidfile=` (the time the pidfile has to appear), so it is ignored');
  else if (freq !== null) out.startSecs = freq * 1000;
  const throttle = read('max_throttle', (s) => parseInteger(s, { min: 0, max: FREQ.max }));
  out.backoffMax = throttle === null || throttle === 0 ? null : throttle * 1000;
  out.stopSignal = read('stopsignal', parseSignal);
  out.reloadSignal = read('reloadsignal', parseSignal);
  out.user = read('uid', parseAccount);
  out.group = read('gid', parseAccount);
  out.directory = read('chdir', (s) => (s === '' ? { ok: false, message: 'is empty; give the directory or remove it' } : { ok: true, value: s }));
  if (given.has('legion')) {
    report.fail("`legion=` runs the daemon only on the node that leads the uWSGI Legion; emperor has no Legions and would run it on every node: remove it, or leave this daemon to uwsgi");
    ok = false;
  }
  if ((given.get('touch') ?? '') !== '') {
    report.warn('`touch=` (reload the daemon when a file is touched) has no equivalent in emperor, so it is ignored; touch the vassal file to reload the daemon');
  }
  for (const [name, meaning] of Object.entries(AD2_NO_EQUIVALENT)) {
    if (read(name, flag) === true) report.warn(`\`${name}=\` ${meaning}; it has no equivalent, so it is ignored`);
  }
  return ok ? out : null;
}

/** uWSGI's kvlist split: `sep` separates items unless escaped; a backslash escapes any character and is dropped. */
export function splitEscaped(text: string, sep: string): string[] {
  const items: string[] = [];
  let current: string[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current.push(text[i + 1] as string);
      i += 1;
    } else if (c === sep) {
      items.push(current.join(''));
      current = [];
    } else {
      current.push(c);
    }
  }
  items.push(current.join(''));
  return items;
}
