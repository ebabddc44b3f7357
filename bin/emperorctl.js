#!/usr/bin/env node
// emperorctl as ES modules, compiled at install (`npm run build`); on a source tree without dist/ it falls
// back to tsx. package.json's "bin" runs bin/emperorctl.cjs, which starts faster and comes here without dist/cjs/.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/emperorctl.js', import.meta.url);
/** @type {{ main(argv: string[]): Promise<void> }} */
let ctl;
if (existsSync(compiled)) {
  ctl = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ctl = await import(new URL('../src/cli/emperorctl.ts', import.meta.url).href);
}
await ctl.main(process.argv.slice(2));
