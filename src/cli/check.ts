// `emperor check PATH...`: validates vassal files or directories without running anything.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseVassalFile, formatProblem } from '../config/parse-file.ts';
import { vassalNameOf } from '../config/vassal-files.ts';
import { accountProblemAt, groupName, userName } from '../io/accounts.ts';
import { trustProblem } from '../config/file-trust.ts';
import { completedProblems } from '../config/readiness-spec.ts';
import type { VassalSpec } from '../config/spec.ts';
import { describeErrno } from '../core/errors.ts';

/** What an unset environment variable reads as while checking: valid as a word and as a number. */
const STAND_IN = '1';

/** Prints `FILE:LINE: message` per problem; returns the exit code (1 when any file has an error). */
export function runCheck(
  paths: readonly string[],
  env: Record<string, string | undefined>,
  out: (text: string) => void,
  err: (text: string) => void,
  tyrant = false,
): number {
  let files = 0;
  let errors = 0;
  let warnings = 0;
  let vassals = 0;
  const specs: VassalSpec[] = [];
  for (const given of paths) {
    const path = resolve(given);
    let targets: string[];
    try {
      targets = statSync(path).isDirectory()
        ? readdirSync(path).sort().filter((n) => vassalNameOf(n) !== null).map((n) => join(path, n)).filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false)
        : [path];
    } catch (e) {
      out(`${path}:0: cannot read: ${describeErrno(e)}\n`);
      errors++;
      continue;
    }
    for (const file of targets) {
      files++;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        out(`${file}:0: cannot read: ${describeErrno(e)}\n`);
        errors++;
        continue;
      }
      // `check` often runs where the emperor does not (a laptop, CI): a variable the file reads from
      // the environment and that is unset here is a warning, checked with a stand-in value.
      const unset = new Set<string>();
      const lenient = new Proxy(env, {
        get(target, key: string) {
          const v = target[key];
          if (v !== undefined || typeof key !== 'string') return v;
          unset.add(key);
          return STAND_IN;
        },
      });
      // Run as root, check also says what a root emperor (with --tyrant if given) would refuse to run.
      if (process.geteuid?.() === 0) {
        const untrusted = trustProblem('file', file, statSync(file), tyrant, { user: userName, group: groupName });
        if (untrusted !== null) {
          out(`${file}:1: warning: a root emperor would not run this file: ${untrusted}\n`);
          warnings++;
        }
      }
      const parsed = parseVassalFile(file, text, lenient);
      vassals += parsed.vassals.length;
      specs.push(...parsed.vassals);
      for (const name of [...unset].sort()) {
        out(`${file}:1: warning: the environment variable ${name} is not set here (checked as \`${STAND_IN}\`); the emperor needs it set\n`);
        warnings++;
      }
      // Users are the machine's: one missing here may exist where the emperor runs.
      for (const v of parsed.vassals) {
        const at = accountProblemAt(v);
        if (at === null) continue;
        out(`${file}:${at.line}: warning: ${at.message} (on this machine)\n`);
        warnings++;
      }
      for (const p of parsed.problems) {
        out(formatProblem(p) + '\n');
        if (p.warning) warnings++;
        else errors++;
      }
    }
  }
  for (const p of completedProblems(specs)) {
    out(formatProblem(p) + '\n');
    errors++;
  }
  err(`checked ${files} file${files === 1 ? '' : 's'}: ${vassals} vassal${vassals === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  return errors > 0 ? 1 : 0;
}
