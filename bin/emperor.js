#!/usr/bin/env node
// Runs the emperor compiled at install (`npm run build`, run by `prepare`); on a source tree
// without dist/ it falls back to tsx. Either way this process is the emperor itself.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { emperorV8Flags } from './v8-flags.js';

// Set before any of the emperor's code loads; why each: bin/v8-flags.js.
for (const flag of emperorV8Flags(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);

const compiled = new URL('../dist/cli/emperor.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/emperor.ts', import.meta.url).href);
}
