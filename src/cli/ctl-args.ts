// emperorctl's vocabulary shared by every command: the exit it ends with, its options, durations.
import type { ControlResponse } from '../control/protocol.ts';

/** Which help text an exit prints: a command's (or the general one), after a usage error or as asked. */
export interface HelpRef {
  /** `usage`: the message, then the command's help (or a pointer to --help); `help`: the help alone. */
  kind: 'usage' | 'help';
  cmd?: string;
}

/** Exit with a code and a message: 1 refused/failed, 2 usage, 3 unreachable. The help text is loaded only when printed. */
export class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly help: HelpRef | null = null,
  ) {
    super(message);
  }
}

/** A usage error (exit 2), followed by the command's help. */
export const usage = (msg: string, cmd?: string): Exit => new Exit(2, `emperorctl: ${msg}`, cmd === undefined ? { kind: 'usage' } : { kind: 'usage', cmd });

/** `--help`: the command's help (or the general one), exit 0. */
export const helpExit = (cmd?: string): Exit => new Exit(0, '', cmd === undefined ? { kind: 'help' } : { kind: 'help', cmd });

/** A command's words and options. */
export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Splits a command's arguments: `valued` options take a value, `bare` ones do not; anything else is a usage error. */
export function parseArgs(cmd: string, argv: string[], valued: string[], bare: string[]): Args {
  const out: Args = { positional: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--help' || a === '-h') throw helpExit(cmd);
    if (a.startsWith('-') && a !== '-') {
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (valued.includes(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined) throw usage(`${name} needs a value`, cmd);
        out.flags.set(name, value);
      } else if (bare.includes(name)) {
        out.flags.set(name, true);
      } else {
        throw usage(`unknown option ${name} for ${cmd}`, cmd);
      }
    } else {
      out.positional.push(a);
    }
  }
  return out;
}

/** "30s", "500ms", "2m", bare seconds -> ms. */
export function duration(text: string, what: string, cmd: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw usage(`${what}: expected a duration such as 500ms, 30s or 2m, got ${text}`, cmd);
  const factor = { ms: 1, s: 1000, m: 60000, h: 3600000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

/** The exit a refusal from the emperor ends with (2 for a bad request or version, else 1); null when it succeeded. */
export function failed(reply: ControlResponse): Exit | null {
  if ('ok' in reply && !reply.ok) return new Exit(reply.error.code === 'bad-request' || reply.error.code === 'version' ? 2 : 1, `emperorctl: ${reply.error.message}`);
  return null;
}

/** Waits `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes to stdout. */
export const out = (t: string): void => void process.stdout.write(t);
