// emperorctl's commands that steer the emperor: start/stop/restart/reload (then wait for them to settle),
// signal, run, rescan, and `wait` for a state.
import { PROTOCOL_VERSION, type ActionResult, type ControlRequest, type VassalStats } from '../control/protocol.ts';
import { readStats, request } from './ctl-client.ts';
import { Exit, duration, failed, out, sleep, usage, type Args } from './ctl-args.ts';

const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'INVALID'];

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

/** start/stop/restart/reload NAME... | --all, then wait for the outcome unless --no-wait. */
export async function action(cmd: 'start' | 'stop' | 'restart' | 'reload', args: Args, socket: string, statsPath: string): Promise<number> {
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

/** One request whose answer lists what was done (signal, run), printed a line each. */
export async function simple(socket: string, req: ControlRequest): Promise<number> {
  const reply = await request(socket, req);
  const bad = failed(reply);
  if (bad !== null) throw bad;
  for (const d of (reply as { result: ActionResult }).result.done) out(`${d.name}: ${d.message}\n`);
  return 0;
}

/** `signal SIG NAME...`. */
export function signal(args: Args, socket: string): Promise<number> {
  const [sig, ...names] = args.positional;
  if (sig === undefined || names.length === 0) throw usage('signal needs SIG and at least one NAME', 'signal');
  return simple(socket, { v: PROTOCOL_VERSION, cmd: 'signal', signal: sig, names });
}

/** `run NAME`: a scheduled vassal's run now. */
export function runNow(args: Args, socket: string): Promise<number> {
  const names = args.positional;
  if (names.length !== 1) throw usage('run needs exactly one NAME', 'run');
  return simple(socket, { v: PROTOCOL_VERSION, cmd: 'run', name: names[0] ?? '' });
}

/** `rescan`: the emperor reads its sources now. */
export async function rescan(socket: string): Promise<number> {
  const bad = failed(await request(socket, { v: PROTOCOL_VERSION, cmd: 'rescan' }));
  if (bad !== null) throw bad;
  out('rescanned\n');
  return 0;
}

/** `wait NAME [--for STATE] [--timeout DUR]`: exit 0 once it is in the state, 1 on timeout. */
export async function wait(args: Args, statsPath: string): Promise<number> {
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
