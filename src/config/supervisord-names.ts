// The names a [program:x] may expand (`%(program_name)s`, `%(process_num)d`, `%(ENV_X)s`...), and its per-instance `process_name`.

import { hostname } from 'node:os';
import type { IniEntry } from './ini-source.ts';
import { quote } from './problems.ts';
import type { Templated } from './spec.ts';
import { expandInstance } from './spec.ts';
import { closestWord } from './suggest.ts';
import { expandPercent } from './supervisord-expand.ts';
import type { Expansion, UnknownName } from './supervisord-expand.ts';
import type { Report } from './supervisord-sections.ts';

/** What a value's `%(name)` may stand for, and how an unknown name is explained. */
export interface Lookup {
  get: (name: string) => Expansion | undefined;
  unknown: UnknownName;
}

/** The expansion names of one program; `perProcess` grows as the program is read, as in supervisord. */
export interface Names {
  /** for keys supervisord reads once per program: no `process_num` or `numprocs`. */
  fixed: Lookup;
  /** for `command`, `directory`, `environment`, `stdout_logfile`, `stderr_logfile`. */
  perProcess: Lookup;
  /** supervisord's first `process_num` (`numprocs_start`). */
  start: number;
  setInstances(count: number, start: number): void;
  /** after `environment`: its variables become `%(ENV_X)s` for the keys read later. */
  addProgramEnv(pairs: ReadonlyArray<[string, Templated]>): void;
  /** `process_name` for each instance (supervisord's numbering), or [] after a reported problem. */
  instanceNames(entry: IniEntry | undefined, numprocs: IniEntry | undefined, fail: Report): string[];
}

const FIXED_NAMES = ['program_name', 'group_name', 'here', 'host_node_name'];
const ALL_NAMES = '`%(program_name)s`, `%(process_num)d`, `%(numprocs)d`, `%(group_name)s`, `%(here)s`, `%(host_node_name)s` and `%(ENV_NAME)s`';
const PER_PROCESS_KEYS = '`command`, `directory`, `environment`, `process_name`, `stdout_logfile` and `stderr_logfile`';

/** The names of program `program` in a file with these shared names. */
export function makeNames(program: string, scope: { dir: string; envNames: ReadonlyMap<string, string>; groupOf: ReadonlyMap<string, string> }): Names {
  let count = 1;
  let start = 0;
  const programEnv = new Map<string, Templated>();
  const fixedGet = (name: string): Expansion | undefined => {
    switch (name) {
      case 'program_name':
        return program;
      case 'group_name':
        return scope.groupOf.get(program) ?? program;
      case 'here':
        return scope.dir;
      case 'host_node_name':
        return hostname();
    }
    return name.startsWith('ENV_') ? scope.envNames.get(name.slice(4)) : undefined;
  };
  const perProcessGet = (name: string): Expansion | undefined => {
    if (name === 'process_num') return count === 1 ? start : { instanceFrom: start };
    if (name === 'numprocs') return count;
    if (name.startsWith('ENV_') && programEnv.has(name.slice(4))) return programEnv.get(name.slice(4));
    return fixedGet(name);
  };
  const names: Names = {
    fixed: { get: fixedGet, unknown: unknownName(false) },
    perProcess: { get: perProcessGet, unknown: unknownName(true) },
    start,
    setInstances(n, from) {
      count = n;
      start = from;
      names.start = from;
    },
    addProgramEnv(pairs) {
      for (const [key, value] of pairs) programEnv.set(key, value);
    },
    instanceNames(entry, numprocs, fail) {
      const raw = entry?.value ?? '%(program_name)s';
      const at = entry?.line ?? numprocs?.line ?? 1;
      if (raw === '') {
        fail(at, '`process_name` is empty; give it a value or remove the line');
        return [];
      }
      const bad = [' ', ':', '/'].find((c) => raw.includes(c));
      if (bad !== undefined) {
        fail(at, `\`process_name\`: ${quote(raw)} may not hold blanks, \`:\` or \`/\`, which supervisord refuses in a name`);
        return [];
      }
      if (count > 1 && !raw.includes('%(process_num)')) {
        const example = '`process_name = %(program_name)s_%(process_num)02d`';
        fail(at, `\`numprocs = ${count}\` needs \`%(process_num)d\` in \`process_name\`, so each instance gets its own name (supervisord requires it), e.g. ${example}`);
        return [];
      }
      const list: string[] = [];
      for (let i = 0; i < count; i += 1) {
        const get = (name: string): Expansion | undefined => {
          if (name === 'process_num') return start + i;
          const value = perProcessGet(name);
          return typeof value === 'string' ? expandInstance(value, i) : value;
        };
        const r = expandPercent(raw, get, unknownName(true));
        if (!r.ok) {
          fail(at, `\`process_name\`: ${r.message}`, 'E_VALUE_INVALID');
          return [];
        }
        list.push(r.value.text);
      }
      return list;
    },
  };
  return names;
}

/** Why `written` cannot be expanded: an unset variable, a per-process name in a per-program key, or an unknown name. */
function unknownName(perProcess: boolean): UnknownName {
  return (name, written) => {
    if (name.startsWith('ENV_')) {
      return `${quote(written)}: the environment variable ${name.slice(4)} is not set in the emperor's environment; set it where the emperor is started (e.g. its systemd unit) or in [supervisord] \`environment\`, or write the value itself`;
    }
    if (!perProcess && (name === 'process_num' || name === 'numprocs')) {
      return `${quote(written)} can only be used in ${PER_PROCESS_KEYS}, which supervisord expands for each process`;
    }
    const near = closestWord(name, [...FIXED_NAMES, 'process_num', 'numprocs']);
    const hint = near === null ? '' : `; did you mean \`%(${near})s\`?`;
    return `unknown expansion ${quote(written)}${hint} (supervisord expands ${ALL_NAMES}); write \`%%\` for a literal \`%\``;
  };
}

/** The names [supervisord] `environment` may expand: `%(here)s`, `%(host_node_name)s` and the emperor's `%(ENV_X)s`. */
export function supervisordLookup(dir: string, envNames: ReadonlyMap<string, string>): Lookup {
  const get = (name: string): Expansion | undefined => {
    if (name === 'here') return dir;
    if (name === 'host_node_name') return hostname();
    return name.startsWith('ENV_') ? envNames.get(name.slice(4)) : undefined;
  };
  return { get, unknown: unknownName(false) };
}
