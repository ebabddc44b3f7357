// Every vassal file format parse-file knows, in one list: adding a dialect means replacing its entry here.

import type { DialectModule } from './dialect.ts';
import { nativeDialect } from './native-dialect.ts';
import { configError } from './problems.ts';
import type { Dialect } from './spec.ts';

/** A dialect this version recognises but cannot run yet: its files get one error at the claiming section. */
export function unsupportedDialect(
  dialect: Dialect,
  label: string,
  title: string,
  claims: (sectionName: string) => boolean,
  namedByFile: boolean,
): DialectModule {
  return {
    dialect,
    label,
    claims,
    namedByFile,
    readOptions: { continuationLines: false, bareKeys: true },
    build(doc, ctx) {
      const section = doc.sections.find((s) => claims(s.name));
      const message = `the ${title} dialect is not supported by this version of emperor yet`;
      return { vassals: [], problems: [configError(ctx.file, section?.line ?? 1, message)] };
    },
  };
}

/** The dialects, in the order their names appear in messages. */
export const DIALECTS: readonly DialectModule[] = [
  nativeDialect,
  unsupportedDialect('uwsgi', '[uwsgi]', 'uWSGI', (name) => name === 'uwsgi', true),
  unsupportedDialect('supervisord', '[program:NAME]', 'supervisord', (name) => name.startsWith('program:'), false),
];
