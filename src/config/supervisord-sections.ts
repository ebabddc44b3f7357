// A supervisord file's sections as configparser (strict=False) sees them: repeats merged, keys lowercased, later values winning.

import type { ErrorCode } from '../core/errors.ts';
import type { IniEntry, IniSection } from './ini-source.ts';
import { MAX_PROBLEMS, quote } from './problems.ts';
import { closestWord } from './suggest.ts';
import { FAMILIAR_PROGRAM_KEYS, PROGRAM_KEYS, SECTION_WORDS, sectionRole } from './supervisord-keys.ts';

/** Reports a problem at a line of the file, with its code (the reporter's default without one). */
export type Report = (line: number, message: string, code?: ErrorCode) => void;

/** One [program:x], its repeats merged: each key (lowercased) with the entry that wins. */
export interface ProgramSource {
  name: string;
  /** the first [program:x] header. */
  line: number;
  entries: Map<string, IniEntry>;
}

/** What the sections of one file give. */
export interface FileSections {
  programs: ProgramSource[];
  /** [DEFAULT] keys: configparser gives them to every program that does not set them. */
  defaults: Map<string, IniEntry>;
  /** the `environment` of [supervisord]: every program gets it, and it feeds `%(ENV_X)s`. */
  supervisordEnv: IniEntry | null;
  /** program name -> the [group:x] listing it, for `%(group_name)s`. */
  groupOf: Map<string, string>;
  /** [eventlistener:x] sections: a program's keys plus LISTENER_KEYS. */
  listeners: ProgramSource[];
}

/** The keys an [eventlistener:x] has beyond a [program:x]'s. */
export const LISTENER_KEYS = ['events', 'buffer_size', 'result_handler'] as const;

/** Classifies and merges the sections, reporting unknown sections and keys (errors) and ignored or repeated ones (warnings). */
export function readSections(sections: readonly IniSection[], fail: Report, warn: Report): FileSections {
  const programs = new Map<string, ProgramSource>();
  const defaults = new Map<string, IniEntry>();
  const ignored = new Map<string, { line: number; why: string }>();
  const out: FileSections = { programs: [], defaults, supervisordEnv: null, groupOf: new Map(), listeners: [] };
  const listeners = new Map<string, ProgramSource>();
  let unknownKeys = 0;
  const programKeys = (section: IniSection, into: Map<string, IniEntry>, where: string, extra: readonly string[] = []): void => {
    const seen = new Map<string, number>();
    for (const raw of section.entries) {
      const entry = normalize(raw, fail);
      if (entry === null) continue;
      if (!PROGRAM_KEYS.includes(entry.key) && !extra.includes(entry.key)) {
        unknownKeys += 1;
        fail(entry.line, unknownKey(entry.key, where, unknownKeys <= MAX_PROBLEMS));
        continue;
      }
      const first = seen.get(entry.key);
      if (first !== undefined) {
        warn(entry.line, `\`${entry.key}\` is set again (first on line ${first}); the later value wins, as in supervisord`);
      }
      seen.set(entry.key, entry.line);
      into.set(entry.key, entry);
    }
  };

  for (const section of sections) {
    const role = sectionRole(section.name);
    switch (role.role) {
      case 'program': {
        if (role.name === '') {
          fail(section.line, '`[program:]` has no name; write `[program:NAME]`, NAME being the vassal name');
          continue;
        }
        let program = programs.get(role.name);
        if (program === undefined) {
          program = { name: role.name, line: section.line, entries: new Map() };
          programs.set(role.name, program);
        } else {
          warn(section.line, `[program:${role.name}] is repeated (first on line ${program.line}); its keys are merged, later values winning, as in supervisord`);
        }
        programKeys(section, program.entries, `[program:${role.name}]`);
        break;
      }
      case 'defaults':
        programKeys(section, defaults, '[DEFAULT] (which gives its keys to every [program:x])');
        break;
      case 'listener': {
        if (role.name === '' || listeners.has(role.name)) {
          fail(section.line, role.name === '' ? '`[eventlistener:]` has no name; write `[eventlistener:NAME]`' : `[eventlistener:${role.name}] is repeated; give each listener one section`);
          continue;
        }
        const listener: ProgramSource = { name: role.name, line: section.line, entries: new Map() };
        listeners.set(role.name, listener);
        programKeys(section, listener.entries, `[eventlistener:${role.name}]`, LISTENER_KEYS);
        break;
      }
      case 'ignored':
        if (!ignored.has(section.name)) ignored.set(section.name, { line: section.line, why: role.why });
        readIgnored(section, out, fail);
        break;
      case 'unsupported':
        fail(section.line, `${quote(`[${section.name}]`)} is not supported: ${role.why}`);
        break;
      case 'unknown':
        fail(section.line, unknownSection(section.name));
        break;
    }
  }
  for (const [name, { line, why }] of ignored) {
    const except = name === 'supervisord' && out.supervisordEnv !== null ? ', except its `environment`, which every [program:x] here gets' : '';
    warn(line, `[${name}] is ignored${except}: ${why}`);
  }
  out.programs = [...programs.values()];
  out.listeners = [...listeners.values()];
  return out;
}

/** The two keys emperor reads from ignored sections: [supervisord] `environment` and [group:x] `programs`. */
function readIgnored(section: IniSection, out: FileSections, fail: Report): void {
  for (const raw of section.entries) {
    const entry = normalize(raw, fail);
    if (entry === null) continue;
    if (section.name === 'supervisord' && entry.key === 'environment') out.supervisordEnv = entry;
    if (section.name.startsWith('group:') && entry.key === 'programs') {
      const group = section.name.slice('group:'.length).trim();
      for (const program of entry.value.split(',')) out.groupOf.set(program.trim(), group);
    }
  }
}

/**
 * configparser's view of a line: the key lowercased, and `key: value` (its other delimiter) split
 * at the `:` when it comes before any `=`. A line with neither is an error, as in supervisord.
 */
function normalize(entry: IniEntry, fail: Report): IniEntry | null {
  let { key, value } = entry;
  const colon = key.indexOf(':');
  if (entry.bare || colon !== -1) {
    if (colon === -1) {
      fail(entry.line, `expected \`key = value\` or \`[section]\`, got ${quote(key)}`);
      return null;
    }
    value = entry.bare ? key.slice(colon + 1).trim() : `${key.slice(colon + 1).trim()}=${value}`;
    key = key.slice(0, colon).trim();
    if (key === '') {
      fail(entry.line, `${quote(entry.key)} has no key before \`:\`; write \`key = value\``);
      return null;
    }
  }
  return { ...entry, key: key.toLowerCase(), value };
}

function unknownKey(key: string, where: string, suggest: boolean): string {
  const familiar = Object.hasOwn(FAMILIAR_PROGRAM_KEYS, key) ? FAMILIAR_PROGRAM_KEYS[key] : undefined;
  const near = familiar ?? (suggest ? closestWord(key, PROGRAM_KEYS) : null);
  return near === null
    ? `unknown key ${quote(key)} in ${where}: supervisord has no such key; remove it or correct its name`
    : `unknown key ${quote(key)} in ${where}; did you mean \`${near}\`?`;
}

function unknownSection(name: string): string {
  const colon = name.indexOf(':');
  const near = closestWord(colon === -1 ? name : name.slice(0, colon), SECTION_WORDS);
  const fixed = near === null ? null : colon === -1 ? near : `${near}${name.slice(colon)}`;
  const hint = fixed === null || fixed === name ? 'remove it, or make it a [program:NAME]' : `did you mean [${fixed}]?`;
  return `section ${quote(`[${name}]`)} has no meaning in a supervisord file; ${hint}`;
}
