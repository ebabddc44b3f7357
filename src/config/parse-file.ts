// One vassal file -> its vassals or every problem in it: dialect detection, then the dialect's own rules.

import { basename } from 'node:path';
import type { DialectModule } from './dialect.ts';
import { DIALECTS } from './dialects.ts';
import { readIni } from './ini-source.ts';
import type { IniSection } from './ini-source.ts';
import { nativeDialect } from './native-dialect.ts';
import { configError, finishProblems, MAX_PROBLEMS, quote } from './problems.ts';
import type { ConfigProblem, ParsedFile } from './spec.ts';
import { closestWord } from './suggest.ts';
import { stripVassalExtension, VASSAL_NAME } from './vassal-files.ts';

/** Read only to find the section headers: accepts every dialect's syntax. */
const PROBE_OPTIONS = { continuationLines: false, bareKeys: true, maxProblems: 0 };

interface Claim {
  module: DialectModule;
  section: IniSection;
}

/** Parses one vassal file; `path` is absolute, `env` the emperor's environment (for `$(VAR)`). */
export function parseVassalFile(path: string, text: string, env: Record<string, string | undefined>): ParsedFile {
  const probe = readIni(path, text, PROBE_OPTIONS);
  if (probe.binary) return { file: path, vassals: [], problems: probe.problems, dialect: null };
  const claims = claimsOf(probe.sections);
  const only = claims.length === 1 ? claims[0] : undefined;
  if (only === undefined) {
    const doc = readIni(path, text, { ...nativeDialect.readOptions, maxProblems: Infinity });
    const problem = claims.length === 0 ? noDialect(path, probe.sections) : mixedDialects(path, claims);
    return { file: path, vassals: [], problems: finishProblems([...doc.problems, problem]), dialect: null };
  }

  const { module } = only;
  const doc = readIni(path, text, { ...module.readOptions, maxProblems: Infinity });
  const problems: ConfigProblem[] = doc.problems.slice();
  const name = stripVassalExtension(basename(path));
  if (module.namedByFile && !VASSAL_NAME.test(name)) {
    const message = `the vassal name ${quote(name)} comes from the file name and may only hold letters, digits, \`_\`, \`.\`, \`@\` and \`-\`; rename the file`;
    problems.push(configError(path, 1, message));
  }
  const built = module.build(doc, { file: path, name, env });
  for (const p of built.problems) problems.push(p);
  const usable = problems.every((p) => p.warning);
  return {
    file: path,
    vassals: usable ? built.vassals : [],
    problems: finishProblems(problems),
    dialect: module.dialect,
  };
}

/** `FILE:LINE: message`, or `FILE:LINE: warning: message`, as `emperor check` and the stats print it. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}: ${p.warning ? 'warning: ' : ''}${p.message}`;
}

/** The first section claiming the file for each dialect that claims it, in file order. */
function claimsOf(sections: readonly IniSection[]): Claim[] {
  const claims: Claim[] = [];
  for (const section of sections) {
    const module = DIALECTS.find((d) => d.claims(section.name));
    if (module !== undefined && !claims.some((c) => c.module === module)) claims.push({ module, section });
  }
  return claims;
}

function mixedDialects(file: string, claims: readonly Claim[]): ConfigProblem {
  const named = claims.map((c) => `[${c.section.name}] (line ${c.section.line})`);
  const list = `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
  const line = claims[1]?.section.line ?? 1;
  return configError(file, line, `this file mixes dialects: ${list}; a file holds exactly one, so split it into one file per dialect`);
}

function noDialect(file: string, sections: readonly IniSection[]): ConfigProblem {
  const base =
    'no [vassal] section: a vassal file needs a `[vassal]` header followed by at least `command = ...` ' +
    '(uWSGI files use [uwsgi], supervisord files [program:NAME])';
  for (const section of sections.slice(0, MAX_PROBLEMS)) {
    const near = closestWord(section.name, ['vassal', 'uwsgi']);
    if (near !== null) return configError(file, section.line, `${base}; did you mean [${near}] instead of [${section.name}]?`, 'E_DIALECT_UNKNOWN');
  }
  return configError(file, 1, base, 'E_DIALECT_UNKNOWN');
}
