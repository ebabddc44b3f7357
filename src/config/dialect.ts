// The contract between parse-file and each vassal file format, so a new dialect plugs in as one module.

import type { IniDocument, IniOptions } from './ini-source.ts';
import type { ConfigProblem, Dialect, VassalSpec } from './spec.ts';

/** What a dialect knows about the file it builds vassals from. */
export interface DialectContext {
  /** absolute path of the file. */
  file: string;
  /** the file name without .ini/.conf (meaningful to dialects that are namedByFile). */
  name: string;
  /** the emperor's environment. */
  env: Record<string, string | undefined>;
}

/** The vassals a dialect built and the problems it found (errors make parse-file drop the vassals). */
export interface DialectResult {
  vassals: VassalSpec[];
  problems: ConfigProblem[];
}

/** One vassal file format. */
export interface DialectModule {
  dialect: Dialect;
  /** whether a section with this name claims the file for this dialect. */
  claims(sectionName: string): boolean;
  /** the vassal is named after the file (native, uWSGI) rather than after its sections (supervisord). */
  namedByFile: boolean;
  /** how this dialect's files are read. */
  readOptions: IniOptions;
  /** the vassals of a file this dialect claimed, and the problems found in it. */
  build(doc: IniDocument, ctx: DialectContext): DialectResult;
}
