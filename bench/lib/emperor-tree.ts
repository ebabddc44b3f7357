// The emperor of the tree the bench runs from: its entry points, how to start it, and whether dist/ is current.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');
/** The emperor's entry point as users run it (loads dist/, built by `npm run build`). */
export const EMPEROR_BIN = join(ROOT, 'bin/emperor.js');
/** The emperor's source entry point, for running it through tsx. */
export const EMPEROR_SRC = join(ROOT, 'src/cli/emperor.ts');

/** How to start one emperor: node's own flags, then the script. */
export interface EmperorFlavour {
  label: string;
  nodeArgs: string[];
}

/** `node bin/emperor.js`: the compiled build, as installed. */
export const COMPILED: EmperorFlavour = { label: 'compiled (node bin/emperor.js)', nodeArgs: [EMPEROR_BIN] };
/** `node --import tsx src/cli/emperor.ts`: compiled on the fly at every start. */
export const FROM_SOURCE: EmperorFlavour = { label: 'tsx (node --import tsx src/cli/emperor.ts)', nodeArgs: ['--import', 'tsx', EMPEROR_SRC] };

/** Warns when dist/ is missing or older than some file of src/ (the compiled flavour would run stale code). */
export function distWarning(): string | null {
  const entry = join(ROOT, 'dist/cli/emperor.js');
  if (!existsSync(entry)) return 'dist/ is missing: bin/emperor.js falls back to tsx; run `npm run build` first';
  const built = statSync(entry).mtimeMs;
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && statSync(p).mtimeMs > built) stale.push(p.slice(ROOT.length + 1));
    }
  };
  walk(join(ROOT, 'src'));
  return stale.length === 0 ? null : `dist/ is older than ${stale.length} file(s) of src/ (e.g. ${stale[0]}); run \`npm run build\` for current numbers`;
}
