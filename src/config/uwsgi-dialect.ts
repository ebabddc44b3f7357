// The [uwsgi] dialect (SPEC section 6): an app file runs under `uwsgi --ini FILE`, untouched; a file of
// only daemon keys is run by emperor itself, one vassal per daemon line, with uWSGI's expansions.

import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { DialectContext, DialectModule, DialectResult } from './dialect.ts';
import type { IniDocument, IniEntry } from './ini-source.ts';
import { parseAccount, parseEnvPair } from './native-values.ts';
import { configError, configWarning, quote } from './problems.ts';
import type { Outcome } from '../core/errors.ts';
import { daemonStartSecs, shellCommand } from './smart-daemon.ts';
import type { ConfigProblem, VassalSpec } from './spec.ts';
import { defaultSpec } from './spec-defaults.ts';
import { uwsgiReadiness } from './uwsgi-readiness.ts';
import { DAEMON_KEYS, readDaemonLine } from './uwsgi-daemons.ts';
import type { DaemonKey, DaemonLine } from './uwsgi-daemons.ts';
import { expandUwsgi } from './uwsgi-magic.ts';

const SECTION = 'uwsgi';
/** Besides the daemon keys, what a file run without uwsgi may hold (SPEC section 6). */
const CONTEXT_KEYS = ['env', 'chdir', 'uid', 'gid', 'logto'] as const;
type ContextKey = (typeof CONTEXT_KEYS)[number];
/** One file makes at most this many daemon vassals (as `instances` is capped): a huge file stays cheap. */
const MAX_DAEMONS = 1000;

/** The uWSGI dialect as parse-file plugs it in. */
export const uwsgiDialect: DialectModule = {
  dialect: 'uwsgi',
  claims: (name) => name === SECTION,
  namedByFile: true,
  // uWSGI's reader (core/ini.c): `master` alone is a key, an indented line is a key of its own, and a
  // comment is a whole line: `;` and `#` inside a value are part of it.
  readOptions: { continuationLines: false, bareKeys: true, inlineCommentPrefixes: [] },
  build: buildUwsgiVassals,
};

/** The vassals of a file claimed by [uwsgi]: one uwsgi app, or one vassal per daemon line. */
export function buildUwsgiVassals(doc: IniDocument, ctx: DialectContext): DialectResult {
  const entries = doc.sections.filter((s) => s.name === SECTION).flatMap((s) => s.entries);
  if (!isDaemonOnly(entries)) return { vassals: [{ ...appVassal(ctx), readiness: uwsgiReadiness(entries) }], problems: appProblems(ctx) };
  return buildDaemons(entries, ctx);
}

/** Whether every key is a daemon key or one of CONTEXT_KEYS, with at least one daemon. */
export function isDaemonOnly(entries: readonly IniEntry[]): boolean {
  return (
    entries.some((e) => isDaemonKey(e.key)) &&
    entries.every((e) => isDaemonKey(e.key) || (CONTEXT_KEYS as readonly string[]).includes(e.key))
  );
}

function isDaemonKey(key: string): key is DaemonKey {
  return (DAEMON_KEYS as readonly string[]).includes(key);
}

/** `<uwsgi> --ini FILE`, stopped with SIGINT and reloaded with SIGHUP, as the uWSGI Emperor runs a vassal. */
function appVassal(ctx: DialectContext): VassalSpec {
  const spec = defaultSpec({ name: ctx.name, file: ctx.file, dialect: 'uwsgi', command: ['uwsgi', '--ini', ctx.file], directory: dirname(ctx.file) });
  return { ...spec, uwsgiApp: true, stopSignal: 'SIGINT', reloadSignal: 'SIGHUP' };
}

/** uwsgi reads `--ini A:B` as section B of file A, so a `:` in the path would send it elsewhere. */
function appProblems(ctx: DialectContext): ConfigProblem[] {
  if (!ctx.file.includes(':')) return [];
  const message = 'the path of this file holds `:`, which `uwsgi --ini` reads as FILE:SECTION, so uwsgi would not find it; move the file to a directory without `:`';
  return [configError(ctx.file, 1, message)];
}

interface FileContext {
  env: Array<[string, string]>;
  directory: string;
  user: string | null;
  group: string | null;
  log: string | null;
  lines: Record<string, number>;
}

/** A daemon-only file: the context keys apply to every daemon; each daemon line is one vassal. */
function buildDaemons(entries: readonly IniEntry[], ctx: DialectContext): DialectResult {
  const { file } = ctx;
  const problems: ConfigProblem[] = [];
  const firstValue = new Map<string, string>();
  for (const e of entries) if (!firstValue.has(e.key)) firstValue.set(e.key, e.value);
  const magic = { file, host: hostname(), env: ctx.env, option: (key: string) => firstValue.get(key) };
  const expand = (entry: IniEntry): string | null => {
    const r = expandUwsgi(entry.value, magic);
    if (!r.ok) {
      problems.push(configError(file, entry.line, `\`${entry.key}\`: ${r.message}`, 'E_VALUE_INVALID'));
      return null;
    }
    for (const w of r.value.warnings) problems.push(configWarning(file, entry.line, `\`${entry.key}\`: ${w}`));
    return r.value.value;
  };

  const context = readContext(entries, ctx, expand, problems);
  const daemons: Array<{ entry: IniEntry; daemon: DaemonLine; index: number }> = [];
  const pidfiles = new Map<string, number>();
  let count = 0;
  for (const entry of entries) {
    if (!isDaemonKey(entry.key)) continue;
    count += 1;
    if (count > MAX_DAEMONS) {
      problems.push(configError(file, entry.line, `more than ${MAX_DAEMONS} daemons in one file; split them over several files`));
      break;
    }
    const value = expand(entry);
    if (value === null) continue;
    const report = {
      fail: (m: string) => problems.push(configError(file, entry.line, `\`${entry.key}\`: ${m}`)),
      warn: (m: string) => problems.push(configWarning(file, entry.line, `\`${entry.key}\`: ${m}`)),
    };
    const daemon = readDaemonLine(entry.key as DaemonKey, value, report);
    if (daemon === null) continue;
    const shared = daemon.pidfile === null ? undefined : pidfiles.get(daemon.pidfile);
    if (shared !== undefined) {
      report.fail(`the pidfile ${quote(daemon.pidfile as string)} is already used on line ${shared}; each daemon needs a pidfile of its own`);
      continue;
    }
    if (daemon.pidfile !== null) pidfiles.set(daemon.pidfile, entry.line);
    daemons.push({ entry, daemon, index: count });
  }
  const several = count > 1;
  const vassals = daemons.map(({ entry, daemon, index }) => {
    const name = several ? `${ctx.name}@${index}` : ctx.name;
    return daemonVassal(name, file, entry, daemon, context, problems);
  });
  return { vassals, problems };
}

/** One daemon line -> its vassal, the file's context applied under what the line sets itself. */
function daemonVassal(name: string, file: string, entry: IniEntry, d: DaemonLine, c: FileContext, problems: ConfigProblem[]): VassalSpec {
  const directory = d.directory === null ? c.directory : resolve(c.directory, d.directory);
  const spec = defaultSpec({ name, file, dialect: 'uwsgi', command: shellCommand(d.command), directory });
  const start = daemonStartSecs(d.startSecs);
  if (d.pidfile !== null && start.raised) {
    const message = `\`${entry.key}\`: \`freq\` (${(d.startSecs ?? 0) / 1000}) is raised to 10: a smart-attached daemon gets at least 10s to write its pidfile`;
    problems.push(configWarning(file, entry.line, message));
  }
  return {
    ...spec,
    env: c.env.slice(),
    user: d.user ?? c.user,
    group: d.group ?? c.group,
    log: c.log,
    startSecs: d.pidfile === null ? spec.startSecs : start.ms,
    backoffMax: d.backoffMax ?? spec.backoffMax,
    stopSignal: d.stopSignal ?? spec.stopSignal,
    reloadSignal: d.reloadSignal,
    pidfile: d.pidfile,
    pidfileBy: d.pidfileBy,
    lines: { ...c.lines, command: entry.line },
  };
}

/** `env` (in order), `chdir`, `uid`, `gid`, `logto`: the last of a repeated single key counts, as in uWSGI. */
function readContext(
  entries: readonly IniEntry[],
  ctx: DialectContext,
  expand: (entry: IniEntry) => string | null,
  problems: ConfigProblem[],
): FileContext {
  const fileDir = dirname(ctx.file);
  const out: FileContext = { env: [], directory: fileDir, user: null, group: null, log: null, lines: {} };
  const seen = new Map<ContextKey, number>();
  const field: Record<ContextKey, string> = { env: 'env', chdir: 'directory', uid: 'user', gid: 'group', logto: 'log' };
  for (const entry of entries) {
    const key = (CONTEXT_KEYS as readonly string[]).includes(entry.key) ? (entry.key as ContextKey) : null;
    if (key === null) continue;
    const before = seen.get(key);
    if (before !== undefined && key !== 'env') {
      problems.push(configWarning(ctx.file, entry.line, `\`${key}\` is already set on line ${before}; the last one counts, as in uWSGI`));
    }
    if (before === undefined) out.lines[field[key]] = entry.line;
    seen.set(key, entry.line);
    if (entry.value === '' && key !== 'env') {
      problems.push(configError(ctx.file, entry.line, `\`${key}\` is empty; give it a value or remove the line`, 'E_VALUE_INVALID'));
      continue;
    }
    const text = expand(entry);
    if (text === null) continue;
    const value = key === 'env' ? parseEnvPair(text) : nonEmpty(entry.value, key === 'uid' || key === 'gid' ? parseAccount(text) : { ok: true, value: text });
    if (!value.ok) {
      problems.push(configError(ctx.file, entry.line, `\`${key}\`: ${value.message}`, 'E_VALUE_INVALID'));
      continue;
    }
    if (key === 'env') out.env.push(value.value as [string, string]);
    else if (key === 'chdir') out.directory = resolve(fileDir, value.value as string);
    else if (key === 'uid') out.user = value.value as string;
    else if (key === 'gid') out.group = value.value as string;
    else out.log = resolve(fileDir, value.value as string);
  }
  return out;
}

/** A value that magic variables emptied (an unknown `%x` becomes empty) is refused, not taken as nothing. */
function nonEmpty(written: string, r: Outcome<string>): Outcome<string> {
  if (r.ok && r.value.trim() === '') return { ok: false, message: `${quote(written)} expands to nothing; write a value that does not` };
  return r;
}
