// The native spawner: children started by the helper (vfork-style clone, straight into their cgroup, on
// the main thread or libuv's pool), their exits read from pidfds on one poll. No ChildProcess, no libuv
// process handle per child.
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { errnoName, nativeHelper, type NativeHelper } from './native.ts';
import { explainUnrunnable, nodeSpawner, type OutputTarget, type SpawnedProcess, type SpawnFailed, type Spawner, type SpawnRequest } from './spawner.ts';
import { PairMaker, QUIET_PIPE_BYTES, type ReadEnd } from './socket-pair.ts';
import { socketReader } from './native-pair.ts';
import { nativeReadEnd } from './pipe-reader.ts';
import { failed, failedWith, failure, type Failure } from '../core/errors.ts';

/** What the helper needs to spawn: native/spawn-job.c and spawn.c. */
export interface NativeSpawnHelper {
  /** the pid, or -errno; `fds[i]` becomes the child's fd i (-1: /dev/null); `env` as "K=V" strings or one string of "K=V\0" entries. */
  spawnProcess(file: string, argv: string[], env: string[] | string, cwd: string, fds: number[], umask: number, cgroupProcs: string | null): number;
  /** the same on libuv's pool: 0 once queued (`done` hears the pid or -errno on a later turn), or -errno now. */
  spawnProcessAsync?(file: string, argv: string[], env: string[] | string, cwd: string, fds: number[], umask: number, cgroupProcs: string | null, done: (result: number) => void): number;
  /** where every exit of a spawned child goes (code -1: killed by `signal`); 0, or -errno. */
  watchExits(onExit: (pid: number, code: number, signal: number) => void): number;
}

type ExitListener = (code: number | null, signal: string | null) => void;

// What an operator can do about the usual reasons a spawn fails.
const HINTS: Record<string, string> = {
  EMFILE: ' (the emperor is out of file descriptors: raise its limit, e.g. LimitNOFILE= in its unit)',
  ENFILE: ' (the system is out of file descriptors)',
  EAGAIN: ' (out of processes or memory: check the process limit, e.g. TasksMax= or ulimit -u)',
  ENOMEM: ' (out of memory)',
};

// The listeners of a child none listens to yet: one shared empty list.
const NO_LISTENERS: readonly ExitListener[] = Object.freeze([]);

// A child's exit listeners: its one listener as itself, as nearly every child has one (a list and its
// elements were 56 bytes a child), more in a list.
type Listeners = ExitListener | readonly ExitListener[];

function withListener(had: Listeners | undefined, l: ExitListener): Listeners {
  if (had === undefined || had === NO_LISTENERS) return l;
  return typeof had === 'function' ? [had, l] : had.concat([l]);
}

function listOf(ls: Listeners | undefined): readonly ExitListener[] {
  return ls === undefined ? NO_LISTENERS : typeof ls === 'function' ? [ls] : ls;
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** A spawner through the helper, or why not (the helper lacks it, or the kernel has no pidfds). */
export function nativeSpawner(helper: NativeHelper & Partial<NativeSpawnHelper>): Spawner | string {
  if (helper.spawnProcess === undefined || helper.watchExits === undefined) return 'the native helper has no spawnProcess (rebuild it)';
  const spawnProcess = helper.spawnProcess.bind(helper);
  const listeners = new Map<number, Listeners>();
  // Exits that came before any listener (a child that died at once): the first listeners hear them.
  const early = new Map<number, [number | null, string | null]>();
  const watching = helper.watchExits((pid, code, signal) => {
    const waiting = listeners.get(pid);
    listeners.delete(pid);
    const status: [number | null, string | null] = [code < 0 ? null : code, code < 0 ? (signalNames.get(signal) ?? `SIG${signal}`) : null];
    if (waiting === NO_LISTENERS) early.set(pid, status);
    for (const l of listOf(waiting)) l(...status);
  });
  if (watching !== 0) return `the native helper cannot watch exits (${errnoName(-watching)})`;
  const onExit = (pid: number, listener: ExitListener): void => {
    const done = early.get(pid);
    // Heard after the caller's own code, as a later exit would be.
    if (done !== undefined) return queueMicrotask(() => listener(...done));
    listeners.set(pid, withListener(listeners.get(pid), listener));
  };
  const settle = (req: SpawnRequest, p: Prepared, pid: number): SpawnedProcess | SpawnFailed => {
    if (pid < 0) return failedSpawn(req, p, pid);
    // A new child: its pid's earlier owner is forgotten, and an exit from now on is kept for its listeners.
    early.delete(pid);
    listeners.set(pid, NO_LISTENERS);
    return startedChild(helper, req, p, pid, onExit);
  };
  const pairs = new PairMaker();
  const later = helper.spawnProcessAsync?.bind(helper);
  const spawner: Spawner = {
    cgroups: true,
    spawn(req) {
      const p = prepareSpawn(helper, req);
      return 'error' in p ? p : settle(req, p, spawnProcess(...p.args));
    },
    outputPair: () => pairs.pair(QUIET_PIPE_BYTES),
  };
  if (later === undefined) return spawner;
  // Off the main thread: the clone waits on libuv's pool while JavaScript goes on.
  spawner.spawnLater = (req) => {
    const p = prepareSpawn(helper, req);
    if ('error' in p) return Promise.resolve(p);
    return new Promise((resolve) => {
      const queued = later(...p.args, (result) => resolve(settle(req, p, result)));
      if (queued < 0) resolve(settle(req, p, queued));
    });
  };
  return spawner;
}

// The spawn's arguments for the helper, and the output pipes made for it (the emperor's ends and the child's).
interface Prepared {
  args: [file: string, argv: string[], env: string, cwd: string, fds: number[], umask: number, cgroupProcs: string | null];
  shown: string;
  pipes: Array<{ mine: number; theirs: number }>;
}

// What both ways of spawning do before the clone: the pipes, the descriptors, the environment.
function prepareSpawn(helper: NativeHelper, req: SpawnRequest): Prepared | SpawnFailed {
  const [file, ...rest] = req.argv;
  if (file === undefined || file === '') return failed('E_SPAWN_FAILED', 'empty command');
  const shown = req.program ?? file;
  // One string of "K=V\0" entries: one copy into the helper instead of one per variable.
  let env = '';
  for (const k in req.env) {
    const v = req.env[k] as string;
    if (v.includes('\0') || k.includes('\0')) return failed('E_SPAWN_FAILED', `cannot start ${shown}: its environment variable ${k.replace(/\0/g, '\\0')} holds a NUL byte`);
    env += `${k}=${v}\0`;
  }
  const pipes: Prepared['pipes'] = [];
  const fdFor = (t: OutputTarget): number | SpawnFailed => {
    if (t.kind === 'fd') return t.fd;
    if (t.kind === 'null') return -1;
    const pair = helper.socketPair();
    if (typeof pair === 'number') return failedWith(limitFailure(shown, pair, 'output pipes'));
    pipes.push({ mine: pair[0], theirs: pair[1] });
    return pair[1];
  };
  const out = fdFor(req.stdout);
  if (typeof out !== 'number') return out;
  const err = fdFor(req.stderr);
  if (typeof err !== 'number') return closePipes(pipes, true), err;
  const fds = req.listenFd === undefined ? [-1, out, err] : [-1, out, err, req.listenFd];
  const cgroupProcs = req.cgroup === undefined ? null : `${req.cgroup}/cgroup.procs`;
  return { args: [file, [file, ...rest], env, req.cwd, fds, req.umask ?? -1, cgroupProcs], shown, pipes };
}

// The child's ends of the pipes close once it holds them (and the emperor's too when the spawn failed).
function closePipes(pipes: Prepared['pipes'], mine: boolean): void {
  for (const p of pipes) {
    if (mine) closeSync(p.mine);
    closeSync(p.theirs);
  }
}

// The helper's -(errno | stage << 16) as the operator's failure.
function failedSpawn(req: SpawnRequest, p: Prepared, result: number): SpawnFailed {
  closePipes(p.pipes, true);
  const errno = -result & 0xffff;
  const stage = STAGES[-result >> 16] ?? 'spawn';
  if (stage === 'cgroup') return failed('E_SPAWN_FAILED', `cannot start ${p.shown}: cannot enter its cgroup ${req.cgroup ?? ''} (${errnoName(errno)})`);
  return failedWith(explainUnrunnable(p.args[0], req.cwd, req.env.PATH) ?? limitFailure(p.shown, errno, stage));
}

// A started child: the emperor's ends of its pipes read by the helper's one pipe reader (or a
// net.Socket each, from a helper without it), its exit from the watch.
function startedChild(helper: NativeHelper, req: SpawnRequest, p: Prepared, pid: number, onExit: (pid: number, l: ExitListener) => void): SpawnedProcess {
  closePipes(p.pipes, false);
  const stdout = readEnd(helper, req.stdout, p.pipes);
  return spawnedProcess(pid, stdout, readEnd(helper, req.stderr, p.pipes), onExit);
}

// The emperor's end of the next pipe made for an output that is a pipe.
function readEnd(helper: NativeHelper, t: OutputTarget, pipes: Prepared['pipes']): ReadEnd | null {
  if (t.kind !== 'pipe') return null;
  const pipe = pipes.shift();
  if (pipe === undefined) return null;
  return nativeReadEnd(helper, pipe.mine) ?? socketReader(pipe.mine);
}

// The child as the caller keeps it, made apart from the spawn so that its closure holds the pid and nothing of
// the prepared spawn (the environment as one string, argv, descriptors: 1-5 KB a vassal for its whole life).
function spawnedProcess(pid: number, stdout: ReadEnd | null, stderr: ReadEnd | null, onExit: (pid: number, l: ExitListener) => void): SpawnedProcess {
  return { pid, stdout, stderr, onExit: (listener) => onExit(pid, listener) };
}

// The child's steps, as native/spawn.c numbers them.
const STAGES = ['spawn', 'cgroup', 'descriptors', 'directory', 'exec'] as const;

// A spawn's errno as an operator's failure (the step named when it is not the spawn itself).
function limitFailure(shown: string, errno: number, stage: string = 'spawn'): Failure {
  const code = errnoName(errno);
  const hint = HINTS[code];
  const step = stage === 'spawn' ? '' : ` (at its ${stage})`;
  return failure(hint === undefined ? 'E_SPAWN_FAILED' : 'E_SPAWN_LIMIT', `cannot start ${shown}: ${code}${step}${hint ?? ''}`);
}

let chosen: Spawner | undefined;

/**
 * The emperor's spawner: the native one when the helper is built and the kernel has pidfds, else (or
 * with EMPEROR_NATIVE_SPAWN=0) Node's child_process (nodeSpawner), which does the same a little slower.
 */
export function defaultSpawner(env: Record<string, string | undefined> = process.env): Spawner {
  if (chosen !== undefined) return chosen;
  const helper = env.EMPEROR_NATIVE_SPAWN === '0' ? 'turned off' : nativeHelper();
  const native = typeof helper === 'string' ? helper : nativeSpawner(helper);
  chosen = typeof native === 'string' ? nodeSpawner : native;
  return chosen;
}
