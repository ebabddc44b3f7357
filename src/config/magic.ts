// Native magic variables (%d %n %p %s %i %% and $(VAR)), expanded in a single pass.

import { basename, dirname } from 'node:path';
import type { Outcome } from '../core/errors.ts';
import type { Templated } from './spec.ts';
import { INSTANCE_MARK } from './spec.ts';
import { quote } from './problems.ts';

/** What the magic variables of one native file stand for. */
export interface MagicContext {
  /** absolute path of the vassal file. */
  file: string;
  /** vassal name. */
  name: string;
  /** the emperor's environment, for `$(VAR)`. */
  env: Record<string, string | undefined>;
}

const IDENTIFIER_CHAR = /[A-Za-z0-9_]/;

/**
 * Expands every magic variable except `%i`, which becomes INSTANCE_MARK for the runtime to fill in.
 * Single pass: expanded text is never rescanned, so `%%i` is the literal `%i` and `$(VAR)` values are taken as they are.
 * `$(` not followed by a variable name and `)` (e.g. `$(date)`) is left as written.
 */
export function expandMagic(value: string, ctx: MagicContext): Outcome<Templated> {
  if (value.includes(INSTANCE_MARK)) {
    return { ok: false, message: 'the value holds the character U+E000, which emperor reserves for `%i`; remove it' };
  }
  const out: string[] = [];
  let plainFrom = 0;
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === '%') {
      const letter = value[i + 1];
      const expansion = letter === undefined ? undefined : percent(letter, ctx);
      if (expansion === undefined) return { ok: false, message: badPercent(letter) };
      out.push(value.slice(plainFrom, i), expansion);
      i += 2;
      plainFrom = i;
    } else if (c === '$' && value[i + 1] === '(') {
      let end = i + 2;
      while (end < value.length && IDENTIFIER_CHAR.test(value[end] as string)) end += 1;
      const name = value.slice(i + 2, end);
      if (value[end] !== ')' || !/^[A-Za-z_]/.test(name)) {
        i += 1;
        continue;
      }
      const found = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
      if (found === undefined) {
        return {
          ok: false,
          message: `\`$(${name})\`: the environment variable ${name} is not set in the emperor's environment; set it where the emperor is started (e.g. its systemd unit) or write the value itself`,
        };
      }
      out.push(value.slice(plainFrom, i), found);
      i = end + 1;
      plainFrom = i;
    } else {
      i += 1;
    }
  }
  out.push(value.slice(plainFrom));
  return { ok: true, value: out.join('') };
}

function percent(letter: string, ctx: MagicContext): string | undefined {
  switch (letter) {
    case 'd':
      return dirname(ctx.file);
    case 'n':
      return ctx.name;
    case 'p':
      return ctx.file;
    case 's':
      return basename(ctx.file);
    case 'i':
      return INSTANCE_MARK;
    case '%':
      return '%';
    default:
      return undefined;
  }
}

function badPercent(letter: string | undefined): string {
  const known = 'the magic variables are `%d` `%n` `%p` `%s` `%i`';
  if (letter === undefined) {
    return `a lone \`%\` ends the value; write \`%%\` for a percent sign (${known})`;
  }
  return `unknown magic variable ${quote(`%${letter}`)}; write \`%%\` for a literal percent sign (${known})`;
}
