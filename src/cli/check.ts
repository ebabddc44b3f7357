// `emperor check PATH...`: validates vassal files or directories without running anything.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseVassalFile, formatProblem } from '../config/parse-file.ts';
import { vassalNameOf } from '../config/vassal-files.ts';

/** Prints `FILE:LINE: message` per problem; returns the exit code (1 when any file has an error). */
export function runCheck(
  paths: readonly string[],
  env: Record<string, string | undefined>,
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  let files = 0;
  let errors = 0;
  let warnings = 0;
  let vassals = 0;
  for (const given of paths) {
    const path = resolve(given);
    let targets: string[];
    try {
      targets = statSync(path).isDirectory()
        ? readdirSync(path).sort().filter((n) => vassalNameOf(n) !== null).map((n) => join(path, n)).filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false)
        : [path];
    } catch (e) {
      out(`${path}:0: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      errors++;
      continue;
    }
    for (const file of targets) {
      files++;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        out(`${file}:0: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
        errors++;
        continue;
      }
      const parsed = parseVassalFile(file, text, env);
      vassals += parsed.vassals.length;
      for (const p of parsed.problems) {
        out(formatProblem(p) + '\n');
        if (p.warning) warnings++;
        else errors++;
      }
    }
  }
  err(`checked ${files} file${files === 1 ? '' : 's'}: ${vassals} vassal${vassals === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  return errors > 0 ? 1 : 0;
}
