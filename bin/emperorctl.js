#!/usr/bin/env node
// Runs emperorctl compiled at install (`npm run build`); on a source tree without dist/ it falls back to tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/emperorctl.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/emperorctl.ts', import.meta.url).href);
}
