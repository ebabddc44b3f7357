// Every vassal file format parse-file knows, in one list: adding a dialect means replacing its entry here.

import type { DialectModule } from './dialect.ts';
import { nativeDialect } from './native-dialect.ts';
import { configError } from './problems.ts';
import { supervisordDialect } from './supervisord-dialect.ts';
import { uwsgiDialect } from './uwsgi-dialect.ts';

/** A dialect this version recognises but cannot run yet: its files get one error, at the claiming section. */
export function unsupportedDialect(
  recognised: Omit<DialectModule, 'build'> & { title: string },
): DialectModule {
  const { title, ...module } = recognised;
  return {
    ...module,
    build(doc, ctx) {
      const section = doc.sections.find((s) => module.claims(s.name));
      const message = `the ${title} dialect is not supported by this version of emperor yet`;
      return { vassals: [], problems: [configError(ctx.file, section?.line ?? 1, message)] };
    },
  };
}

/** The dialects, in the order they are tried; their claims never overlap. */
export const DIALECTS: readonly DialectModule[] = [
  nativeDialect,
  uwsgiDialect,
  supervisordDialect,
];
