// `emperorctl`: one request over the emperor's sockets, printed for a person or a script, with SPEC exit codes.
// A small entry: it reads the global options and loads only the module of the command that runs
// (`status`, the common one, loads the client, the table and nothing else; help texts load when printed).
import { join } from 'node:path';
import { defaultStateDir } from '../control/paths.ts';
import { readStats, UnreachableError } from './ctl-client.ts';
import { readStatusView } from './ctl-table.ts';
import { Exit, helpExit, parseArgs, usage, duration, failed, out } from './ctl-args.ts';

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
    else if (a === '--help' || a === '-h') throw helpExit();
    else if (a === '--version' || a === '-V') throw new Exit(0, `emperorctl (protocol v${(await import('../control/protocol.ts')).PROTOCOL_VERSION})`);
    else if (a.startsWith('-')) throw usage(`unknown option ${a} (global options go before the command)`);
    else break;
  }
  // Only --stats given: that emperor's stats socket is the one to read, whatever the default control socket is.
  const statsOnly = statsPath !== null && socket === null;
  const stateDir = defaultStateDir(process.env, process.getuid?.() ?? 0);
  socket ??= join(stateDir, 'control.sock');
  statsPath ??= join(stateDir, 'stats.sock');
  const cmd = argv[i];
  const rest = argv.slice(i + 1);
  switch (cmd) {
    case undefined:
      throw usage('no command given');
    case 'help':
      throw rest[0] !== undefined ? helpExit(rest[0]) : helpExit();
    case 'status': {
      const a = parseArgs(cmd, rest, [], ['--json']);
      // Asked before the table's code loads: the emperor renders its answer while this process loads it.
      // The table needs a fifth of the stats document, which the control socket's table view carries.
      const read = a.flags.has('--json') || statsOnly ? { view: readStats(statsPath), asked: null } : readStatusView(socket, statsPath);
      const doc = read.view;
      doc.catch(() => {}); // status() sees the failure; this only stops it counting as unhandled meanwhile
      await read.asked;
      return (await import('./ctl-status.ts')).status(a, doc);
    }
    case 'start':
    case 'stop':
    case 'restart':
    case 'reload':
      return (await import('./ctl-actions.ts')).action(cmd, parseArgs(cmd, rest, ['--timeout'], ['--all', '--no-wait']), socket, statsPath);
    case 'signal':
      return (await import('./ctl-actions.ts')).signal(parseArgs(cmd, rest, [], []), socket);
    case 'logs':
      return (await import('./ctl-logs.ts')).logs(parseArgs(cmd, rest, ['-n'], ['-f']), socket);
    case 'wait':
      return (await import('./ctl-actions.ts')).wait(parseArgs(cmd, rest, ['--for', '--timeout'], []), statsPath);
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
    case 'run':
      return (await import('./ctl-actions.ts')).runNow(parseArgs(cmd, rest, [], []), socket);
    case 'fleet': {
      const a = parseArgs(cmd, rest, [], ['--json', '--prometheus-sd']);
      const { renderFleetCommand } = await import('./ctl-fleet.ts');
      out(await renderFleetCommand(socket, a.flags.has('--json') ? 'json' : a.flags.has('--prometheus-sd') ? 'sd' : 'table'));
      return 0;
    }
    case 'rescan':
      parseArgs(cmd, rest, [], []);
      return (await import('./ctl-actions.ts')).rescan(socket);
    default:
      throw usage(`unknown command ${cmd}`);
  }
}

// The text an exit prints: its message, and the help it names (loaded only now).
async function exitText(err: Exit): Promise<string> {
  if (err.help === null) return err.message;
  const { COMMAND_HELP, CTL_HELP } = await import('./ctl-help.ts');
  const cmd = err.help.cmd;
  if (err.help.kind === 'help') return cmd !== undefined ? (COMMAND_HELP[cmd] ?? CTL_HELP) : CTL_HELP;
  return `${err.message}\n${cmd !== undefined ? (COMMAND_HELP[cmd] ?? '') : 'Run emperorctl --help for usage.'}`.trimEnd();
}

/** Entry point of bin/emperorctl.cjs (compiled to CommonJS) and bin/emperorctl.js (ES modules). */
export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', () => process.exit(0)); // `emperorctl logs -f | head`
  try {
    process.exitCode = await run(argv);
  } catch (err) {
    if (err instanceof Exit) {
      const text = await exitText(err);
      (err.code === 0 ? process.stdout : process.stderr).write(text.endsWith('\n') ? text : text + '\n');
      process.exitCode = err.code;
    } else if (err instanceof UnreachableError) {
      process.stderr.write(`emperorctl: ${err.message}\n`);
      process.exitCode = 3;
    } else {
      throw err;
    }
  }
  // Done: exit once both outputs are flushed, without tearing down the heap first (a 1,000-vassal status
  // spends about 5 ms of CPU freeing what it parsed). Every command's work has ended when run() returns.
  process.stderr.write('', () => process.stdout.write('', () => process.exit()));
}
