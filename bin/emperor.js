#!/usr/bin/env node
// Runs the emperor compiled at install (`npm run build`, run by `prepare`); on a source tree
// without dist/ it falls back to tsx. Either way this process is the emperor itself.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8 doubles its young generation (up to 2 x 16 MiB) whenever a burst of allocation survives a
// scavenge, as loading the modules and starting every vassal do, and rarely gives it back: at
// 1,000 vassals that slack was most of the footprint. Kept at its first 2 x 1 MiB, with no flag
// needed on the node command line (V8 reads this one each time it would grow the space).
// An operator's own NODE_OPTIONS/--semi-space-growth-factor, if given, wins.
if (!process.execArgv.concat(process.env.NODE_OPTIONS ?? '').some((a) => a.includes('semi-space'))) {
  setFlagsFromString('--semi-space-growth-factor=1');
}

const compiled = new URL('../dist/cli/emperor.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/emperor.ts', import.meta.url).href);
}
