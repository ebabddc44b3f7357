// Every vassal file format parse-file knows, in one list: adding a dialect means replacing its entry here.

import type { DialectModule } from './dialect.ts';
import { nativeDialect } from './native-dialect.ts';
import { supervisordDialect } from './supervisord-dialect.ts';
import { uwsgiDialect } from './uwsgi-dialect.ts';

/** The dialects, in the order they are tried; their claims never overlap. */
export const DIALECTS: readonly DialectModule[] = [
  nativeDialect,
  uwsgiDialect,
  supervisordDialect,
];
