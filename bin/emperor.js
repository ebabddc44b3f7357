#!/usr/bin/env node
// Runs the emperor compiled at install (`npm run build`, run by `prepare`); on a source tree
// without dist/ it falls back to tsx. Either way this process is the emperor itself.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/emperor.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/emperor.ts', import.meta.url).href);
}
