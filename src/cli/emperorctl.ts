// `emperorctl`: one request over the emperor's sockets, printed for a person or a script, with SPEC exit codes.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION, type ActionResult, type ControlRequest, type ControlResponse, type LogsResult, type FleetDocument, type StatsDocument, type VassalStats } from '../control/protocol.ts';
import { defaultStateDir } from '../control/paths.ts';
import { converse, readStats, request, UnreachableError } from './ctl-client.ts';
import { renderStatus, useColour } from './ctl-format.ts';
import { CTL_HELP, COMMAND_HELP } from './ctl-help.ts';
import { followFile, lastLines } from './ctl-tail.ts';
import { describeErrno } from '../core/errors.ts';
import { emperorContainment } from './ctl-containment.ts';

const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'INVALID'];

/** Exit with a code and a message: 1 refused/failed, 2 usage, 3 unreachable. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const usage = (msg: string, cmd?: string): Exit => new Exit(2, `emperorctl: ${msg}\n${cmd !== undefined ? (COMMAND_HELP[cmd] ?? '') : 'Run emperorctl --help for usage.'}`.trimEnd());

interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(cmd: string, argv: string[], valued: string[], bare: string[]): Args {
  const out: Args = { positional: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--help' || a === '-h') throw new Exit(0, COMMAND_HELP[cmd] ?? CTL_HELP);
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
function duration(text: string, what: string, cmd: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw usage(`${what}: expected a duration such as 500ms, 30s or 2m, got ${text}`, cmd);
  const factor = { ms: 1, s: 1000, m: 60000, h: 3600000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

function failed(reply: ControlResponse): Exit | null {
  if ('ok' in reply && !reply.ok) return new Exit(reply.error.code === 'bad-request' || reply.error.code === 'version' ? 2 : 1, `emperorctl: ${reply.error.message}`);
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const out = (t: string): void => void process.stdout.write(t);

async function status(args: Args, statsPath: string): Promise<number> {
  const doc = await readStats(statsPath);
  const names = args.positional;
  const unknown = names.filter((n) => !doc.vassals.some((v) => v.name === n));
  const shown: StatsDocument = names.length === 0 ? doc : { ...doc, vassals: doc.vassals.filter((v) => names.includes(v.name)) };
  if (args.flags.has('--json')) out(JSON.stringify(shown, null, 2) + '\n');
  else out(renderStatus(shown, Date.now() / 1000, useColour(process.stdout.isTTY, process.env), emperorContainment(doc.pid)));
  if (unknown.length > 0) throw new Exit(1, `emperorctl: no vassal named ${unknown.join(', ')}`);
  return 0;
}

// After start/stop/restart/reload: wait until each named vassal settles, and judge the outcome.
async function settle(cmd: string, names: string[], statsPath: string, timeoutMs: number): Promise<number> {
  const want = cmd === 'stop' ? 'STOPPED' : 'RUNNING';
  const deadline = Date.now() + timeoutMs;
  let last: VassalStats[] = [];
  for (;;) {
    const doc = await readStats(statsPath);
    last = doc.vassals.filter((v) => names.includes(v.name));
    const busy = last.filter((v) => v.state === 'STARTING' || v.state === 'STOPPING' || (v.state === 'BACKOFF' && want === 'RUNNING'));
    if (busy.length === 0 || Date.now() > deadline) break;
    await sleep(50);
  }
  let code = 0;
  for (const v of last) {
    const good = v.state === want || (cmd === 'stop' && v.state === 'INVALID' && v.pids.length === 0);
    if (!good) code = 1;
    out(`${v.name}: ${v.state}${!good && v.error ? ` (${v.error.split('\n')[0]})` : ''}\n`);
  }
  return code;
}

async function action(cmd: 'start' | 'stop' | 'restart' | 'reload', args: Args, socket: string, statsPath: string): Promise<number> {
  const all = args.flags.has('--all');
  if (!all && args.positional.length === 0) throw usage(`${cmd} needs NAME... or --all`, cmd);
  if (all && args.positional.length > 0) throw usage(`give NAME... or --all, not both`, cmd);
  const reply = await request(socket, { v: PROTOCOL_VERSION, cmd, names: args.positional, all });
  const bad = failed(reply);
  if (bad !== null) throw bad;
  const result = (reply as { result: ActionResult }).result;
  for (const d of result.done) out(`${d.name}: ${d.message}\n`);
  if (args.flags.has('--no-wait') || result.done.length === 0) return 0;
  const timeout = duration(String(args.flags.get('--timeout') ?? '30s'), '--timeout', cmd);
  return settle(cmd, result.done.map((d) => d.name), statsPath, timeout);
}

async function logs(args: Args, socket: string): Promise<number> {
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

async function wait(args: Args, statsPath: string): Promise<number> {
  const name = args.positional[0];
  if (name === undefined || args.positional.length > 1) throw usage('wait needs exactly one NAME', 'wait');
  const state = String(args.flags.get('--for') ?? 'running').toUpperCase();
  if (!STATES.includes(state)) throw usage(`--for: unknown state ${state}; states are ${STATES.join(', ')}`, 'wait');
  const timeout = duration(String(args.flags.get('--timeout') ?? '30s'), '--timeout', 'wait');
  const deadline = Date.now() + timeout;
  let seen = 'not loaded';
  for (;;) {
    const v = (await readStats(statsPath)).vassals.find((x) => x.name === name);
    if (v?.state === state) return 0;
    seen = v?.state ?? 'not loaded';
    if (Date.now() >= deadline) throw new Exit(1, `emperorctl: timed out after ${timeout / 1000}s waiting for ${name} to be ${state} (it is ${seen})`);
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}

async function run(argv: string[]): Promise<number> {
  let socket: string | null = null;
  let statsPath: string | null = null;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--socket' || a === '--stats') {
      const v = argv[++i];
      if (v === undefined) throw usage(`${a} needs a path`);
      if (a === '--socket') socket = v;
      else statsPath = v;
    } else if (a.startsWith('--socket=')) socket = a.slice(9);
    else if (a.startsWith('--stats=')) statsPath = a.slice(8);
    else if (a === '--help' || a === '-h') throw new Exit(0, CTL_HELP);
    else if (a === '--version' || a === '-V') throw new Exit(0, `emperorctl (protocol v${PROTOCOL_VERSION})`);
    else if (a.startsWith('-')) throw usage(`unknown option ${a} (global options go before the command)`);
    else break;
  }
  const stateDir = defaultStateDir(process.env, process.getuid?.() ?? 0);
  socket ??= join(stateDir, 'control.sock');
  statsPath ??= join(stateDir, 'stats.sock');
  const cmd = argv[i];
  const rest = argv.slice(i + 1);
  switch (cmd) {
    case undefined:
      throw usage('no command given');
    case 'help':
      throw new Exit(0, rest[0] !== undefined ? (COMMAND_HELP[rest[0]] ?? CTL_HELP) : CTL_HELP);
    case 'status':
      return status(parseArgs(cmd, rest, [], ['--json']), statsPath);
    case 'start':
    case 'stop':
    case 'restart':
    case 'reload':
      return action(cmd, parseArgs(cmd, rest, ['--timeout'], ['--all', '--no-wait']), socket, statsPath);
    case 'signal': {
      const a = parseArgs(cmd, rest, [], []);
      const [signal, ...names] = a.positional;
      if (signal === undefined || names.length === 0) throw usage('signal needs SIG and at least one NAME', cmd);
      const reply = await request(socket, { v: PROTOCOL_VERSION, cmd: 'signal', signal, names });
      const bad = failed(reply);
      if (bad !== null) throw bad;
      for (const d of (reply as { result: ActionResult }).result.done) out(`${d.name}: ${d.message}\n`);
      return 0;
    }
    case 'logs':
      return logs(parseArgs(cmd, rest, ['-n'], ['-f']), socket);
    case 'wait':
      return wait(parseArgs(cmd, rest, ['--for', '--timeout'], []), statsPath);
    case 'events': {
      const a = parseArgs(cmd, rest, ['--since'], ['--json']);
      const since = a.flags.has('--since') ? duration(String(a.flags.get('--since')), '--since', cmd) : null;
      const { followEventStream } = await import('./ctl-events.ts');
      const end = await followEventStream(socket, a.positional, since, a.flags.has('--json'), out);
      if (end.kind === 'refused') throw failed(end.reply) ?? new Exit(1, 'emperorctl: refused');
      throw new Exit(1, end.kind === 'dropped' ? `emperorctl: ${end.note}` : 'emperorctl: the emperor closed the event stream (did it stop?)');
    }
    case 'top': {
      const { runTop } = await import('./ctl-top.ts');
      const code = await runTop(parseArgs(cmd, rest, [], []).positional, socket, statsPath);
      if (code === 2) throw usage('top needs a terminal; for a table run `emperorctl status`, for a stream of changes `emperorctl events`', cmd);
      return code;
    }
    case 'run': {
      const names = parseArgs(cmd, rest, [], []).positional;
      if (names.length !== 1) throw usage('run needs exactly one NAME', cmd);
      const reply = await request(socket, { v: PROTOCOL_VERSION, cmd: 'run', name: names[0] ?? '' });
      const bad = failed(reply);
      if (bad !== null) throw bad;
      for (const d of (reply as { result: ActionResult }).result.done) out(`${d.name}: ${d.message}\n`);
      return 0;
    }
    case 'fleet': {
      const a = parseArgs(cmd, rest, [], ['--json', '--prometheus-sd']);
      const reply = await request(socket, { v: PROTOCOL_VERSION, cmd: 'fleet' });
      const bad = failed(reply);
      if (bad !== null) throw bad;
      const { renderFleet } = await import('./ctl-fleet.ts');
      out(renderFleet('result' in reply ? (reply.result as FleetDocument) : {}, a.flags.has('--json') ? 'json' : a.flags.has('--prometheus-sd') ? 'sd' : 'table'));
      return 0;
    }
    case 'rescan': {
      parseArgs(cmd, rest, [], []);
      const bad = failed(await request(socket, { v: PROTOCOL_VERSION, cmd: 'rescan' }));
      if (bad !== null) throw bad;
      out('rescanned\n');
      return 0;
    }
    default:
      throw usage(`unknown command ${cmd}`);
  }
}

/** Entry point of bin/emperorctl. */
export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', () => process.exit(0)); // `emperorctl logs -f | head`
  try {
    process.exitCode = await run(argv);
  } catch (err) {
    if (err instanceof Exit) {
      (err.code === 0 ? process.stdout : process.stderr).write(err.message.endsWith('\n') ? err.message : err.message + '\n');
      process.exitCode = err.code;
    } else if (err instanceof UnreachableError) {
      process.stderr.write(`emperorctl: ${err.message}\n`);
      process.exitCode = 3;
    } else {
      throw err;
    }
  }
}

await main(process.argv.slice(2));
