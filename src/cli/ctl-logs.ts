// `emperorctl logs NAME [-n N] [-f]`: the last lines of a vassal's log files, then (with -f) what follows.
import { statSync } from 'node:fs';
import { PROTOCOL_VERSION, type ControlRequest, type LogsResult } from '../control/protocol.ts';
import { converse } from './ctl-client.ts';
import { followFile, lastLines } from './ctl-tail.ts';
import { describeErrno } from '../core/errors.ts';
import { failed, out, usage, type Args, type Exit } from './ctl-args.ts';

/** Prints the tail; with -f follows until interrupted. */
export async function logs(args: Args, socket: string): Promise<number> {
  const name = args.positional[0];
  if (name === undefined || args.positional.length > 1) throw usage('logs needs exactly one NAME', 'logs');
  const n = Number(args.flags.get('-n') ?? '20');
  if (!Number.isInteger(n) || n < 0) throw usage(`-n needs a whole number, got ${String(args.flags.get('-n'))}`, 'logs');
  const follow = args.flags.has('-f');
  const req: ControlRequest = { v: PROTOCOL_VERSION, cmd: 'logs', name, lines: n, follow };
  let first: LogsResult | null = null;
  let error: Exit | null = null;
  await converse(socket, req, (msg) => {
    if (first === null) {
      error = failed(msg);
      if (error !== null) return false;
      first = (msg as { result: LogsResult }).result;
      for (const l of first.lines) out(l + '\n');
      return follow && first.files.length === 0;
    }
    if ('line' in msg) out(msg.line + '\n');
    return true;
  });
  if (error !== null) throw error;
  const result = first as LogsResult | null;
  if (result === null || result.files.length === 0) return 0;
  // Where printing the tail ended is where following starts: no line falls in between.
  const ends = new Map<string, number>();
  for (const file of result.files) {
    try {
      const end = statSync(file).size;
      ends.set(file, end);
      for (const l of lastLines(file, n, end)) out(l + '\n');
    } catch (err) {
      process.stderr.write(`emperorctl: cannot read ${file}: ${describeErrno(err)}\n`);
    }
  }
  if (!follow) return 0;
  for (const file of result.files) followFile(file, out, ends.get(file));
  await new Promise<never>(() => {}); // until interrupted
  return 0;
}
