// Every vassal file format parse-file knows, in one list: adding a dialect means replacing its entry here.

import type { DialectModule } from './dialect.ts';
import { nativeDialect } from './native-dialect.ts';
import { configError } from './problems.ts';

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
  unsupportedDialect({
    dialect: 'uwsgi',
    title: 'uWSGI',
    claims: (name) => name === 'uwsgi',
    namedByFile: true,
    // uWSGI: `master` alone is a key, indented lines are keys of their own.
    readOptions: { continuationLines: false, bareKeys: true },
  }),
  unsupportedDialect({
    dialect: 'supervisord',
    title: 'supervisord',
    claims: (name) => name.startsWith('program:'),
    namedByFile: false,
    // Python configparser as supervisord sets it up: continuation lines, `;` and `#` comments after whitespace.
    readOptions: { continuationLines: true, bareKeys: true, inlineCommentPrefixes: [';', '#'] },
  }),
];
