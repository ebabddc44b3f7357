// The supervisord dialect: each [program:NAME] of a file is a vassal named NAME, read as supervisord reads it.

import { dirname } from 'node:path';
import type { DialectContext, DialectModule, DialectResult } from './dialect.ts';
import type { IniDocument } from './ini-source.ts';
import { configError, configWarning } from './problems.ts';
import type { ConfigProblem } from './spec.ts';
import { expandPercent } from './supervisord-expand.ts';
import { supervisordLookup } from './supervisord-names.ts';
import { buildProgram } from './supervisord-program.ts';
import { buildListener, type ListenerSpec } from './supervisord-listener.ts';
import { readSections } from './supervisord-sections.ts';
import type { ProgramSource, Report } from './supervisord-sections.ts';
import { parseEnvironment } from './supervisord-shlex.ts';

/** The supervisord dialect as parse-file plugs it in. */
export const supervisordDialect: DialectModule = {
  dialect: 'supervisord',
  claims: (name) => name.startsWith('program:') || name.startsWith('eventlistener:'),
  namedByFile: false,
  // Python configparser as supervisord sets it up: continuation lines, `;` and `#` comments after whitespace.
  readOptions: { continuationLines: true, bareKeys: true, inlineCommentPrefixes: [';', '#'] },
  build: buildSupervisordFile,
};

/** Builds one vassal per [program:x], collecting every problem of the file (its [eventlistener:x] sections' too). */
export function buildSupervisordFile(doc: IniDocument, ctx: DialectContext): DialectResult {
  const { vassals, problems } = buildSupervisordParts(doc, ctx);
  return { vassals, problems };
}

/** The vassals and the event listeners of a supervisord file, with every problem in it. */
export function buildSupervisordParts(doc: IniDocument, ctx: DialectContext): DialectResult & { listeners: ListenerSpec[] } {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const add = (p: ConfigProblem): void => {
    // [DEFAULT] keys are read once per program: report each problem of theirs once.
    const id = `${p.line}\0${p.warning}\0${p.message}`;
    if (seen.has(id)) return;
    seen.add(id);
    problems.push(p);
  };
  const fail: Report = (line, message, code) => add(configError(ctx.file, line, message, code));
  const warn: Report = (line, message, code) => add(configWarning(ctx.file, line, message, code));

  const sections = readSections(doc.sections, fail, warn);
  const dir = dirname(ctx.file);
  const envNames = new EnvNames(ctx.env);
  const baseEnv = readSupervisordEnv(sections.supervisordEnv?.value ?? null, sections.supervisordEnv?.line ?? 1, dir, envNames, fail);
  for (const [key, value] of baseEnv) envNames.set(key, value);

  const scope = { file: ctx.file, dir, envNames, baseEnv, groupOf: sections.groupOf };
  const vassals = sections.programs.map((program) => buildProgram(withDefaults(program, sections.defaults), scope, fail, warn));
  const listeners = sections.listeners.map((listener) => buildListener(withDefaults(listener, sections.defaults), scope, fail, warn));
  return { vassals, listeners, problems };
}

/** [supervisord] `environment`, expanded with `%(here)s`, `%(host_node_name)s` and the emperor's `%(ENV_X)s`. */
function readSupervisordEnv(
  value: string | null,
  line: number,
  dir: string,
  envNames: ReadonlyMap<string, string>,
  fail: Report,
): Array<[string, string]> {
  if (value === null) return [];
  const lookup = supervisordLookup(dir, envNames);
  const expanded = expandPercent(value, lookup.get, lookup.unknown);
  const pairs = expanded.ok ? parseEnvironment(expanded.value.text) : expanded;
  if (!pairs.ok) {
    fail(line, `[supervisord] \`environment\`: ${pairs.message}`, 'E_VALUE_INVALID');
    return [];
  }
  return pairs.value.pairs;
}

/** A program with the [DEFAULT] keys it does not set itself. */
function withDefaults(program: ProgramSource, defaults: ProgramSource['entries']): ProgramSource {
  if (defaults.size === 0) return program;
  return { ...program, entries: new Map([...defaults, ...program.entries]) };
}

/** `%(ENV_X)s` names: [supervisord] `environment` over the emperor's environment, read as asked. */
class EnvNames extends Map<string, string> {
  constructor(private readonly env: Record<string, string | undefined>) {
    super();
  }

  override get(key: string): string | undefined {
    return super.get(key) ?? this.env[key];
  }

  override has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}
