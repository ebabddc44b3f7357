// The child_process adapter: every vassal process starts as the leader of its own process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { PairMaker, QUIET_PIPE_BYTES, type OutputPair, type ReadEnd } from './socket-pair.ts';
import { describeErrno, errnoOf, failed, failedWith, failure, type Failed, type Failure } from '../core/errors.ts';

/** Where one output stream of a child goes: `fd` also the child's end of an output pair. */
export type OutputTarget = { kind: 'pipe' } | { kind: 'fd'; fd: number } | { kind: 'null' };

/** Everything needed to start one process. */
export interface SpawnRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  umask: number | null;
  stdout: OutputTarget;
  stderr: OutputTarget;
  /** a listening socket the child gets as its fd 3 (socket activation); absent: none. */
  listenFd?: number;
  /** the command a failure names when argv[0] is a shim or setpriv in front of it; absent: argv[0]. */
  program?: string;
  /** the cgroup directory the child enters before it execs (only for a spawner with `cgroups`); absent: none. */
  cgroup?: string;
}

/** A started process: its pid (also its process group) and its piped outputs. */
export interface SpawnedProcess {
  pid: number;
  stdout: ReadEnd | null;
  stderr: ReadEnd | null;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
}

/** A spawn that failed: the failure an operator can act on, and (`reason`) a better one a tick later. */
export type SpawnFailed = Failed & { reason?: Promise<Failure> };

/** Starts processes; injected so unit tests can use a fake. */
export interface Spawner {
  /** it puts a child into `SpawnRequest.cgroup` itself, so no shell shim needs to (native-spawn.ts). */
  readonly cgroups?: boolean;
  /** Returns the process, or why it did not start. */
  spawn(req: SpawnRequest): SpawnedProcess | SpawnFailed;
  /**
   * The same, off the main thread (the native spawner: the clone waits on libuv's pool, so several children
   * start at once while JavaScript goes on); absent: only `spawn`. The request's descriptors must stay open
   * until it settles. An exit is never lost: the process is watched before the promise settles.
   */
  spawnLater?(req: SpawnRequest): Promise<SpawnedProcess | SpawnFailed>;
  /** A pipe whose emperor end reads into a shared buffer (log files), quiet-sized (its reader grows it while busy); rejects with the system's error. */
  outputPair(): Promise<OutputPair>;
}

const stdio = (t: OutputTarget): 'pipe' | 'ignore' | number => (t.kind === 'pipe' ? 'pipe' : t.kind === 'fd' ? t.fd : 'ignore');

const pairs = new PairMaker();

/** Explains why a command cannot run, checked before the spawn so the error is precise. */
export function explainUnrunnable(argv0: string, cwd: string, pathVar: string | undefined): Failure | null {
  try {
    if (!statSync(cwd).isDirectory()) return failure('E_SPAWN_DIRECTORY', `directory ${cwd} is not a directory`);
  } catch {
    return failure('E_SPAWN_DIRECTORY', `directory ${cwd} does not exist (set \`directory\` to an existing path)`);
  }
  const candidates = argv0.includes('/')
    ? [isAbsolute(argv0) ? argv0 : join(cwd, argv0)]
    : (pathVar ?? '').split(delimiter).filter(Boolean).map((d) => join(d, argv0));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return missingInterpreter(c);
    } catch (err) {
      if (errnoOf(err) === 'EACCES') return failure('E_SPAWN_NOT_EXECUTABLE', `${c} is not executable (chmod +x ${c})`);
    }
  }
  return failure(
    'E_SPAWN_NOT_FOUND',
    argv0.includes('/') ? `command not found: ${candidates[0]} does not exist` : `command not found: ${argv0} is not in PATH (${pathVar ?? 'unset'}); give its absolute path`,
  );
}

// A script whose `#!` names a program that does not exist fails to exec with ENOENT too.
function missingInterpreter(path: string): Failure | null {
  let head = '';
  try {
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(256);
    head = buf.subarray(0, readSync(fd, buf, 0, 256, 0)).toString('latin1');
    closeSync(fd);
  } catch {
    return null;
  }
  if (!head.startsWith('#!')) return null;
  const interpreter = head.slice(2).split('\n')[0]?.trim().split(/\s+/)[0] ?? '';
  try {
    accessSync(interpreter, constants.X_OK);
    return null;
  } catch {
    return failure('E_SPAWN_BAD_INTERPRETER', `${path} names the interpreter ${interpreter} on its #! line, which does not exist or is not executable`);
  }
}

// What an operator can do about the usual reasons a fork fails.
const SPAWN_HINTS: Record<string, string> = {
  EMFILE: ' (the emperor is out of file descriptors: raise its limit, e.g. LimitNOFILE= in its unit)',
  ENFILE: ' (the system is out of file descriptors)',
  EAGAIN: ' (out of processes or memory: check the process limit, e.g. TasksMax= or ulimit -u)',
  ENOMEM: ' (out of memory)',
};

/** The real spawner: setsid (detached), stdin on /dev/null, umask applied around the fork. */
export const nodeSpawner: Spawner = {
  spawn(req) {
    const [file, ...args] = req.argv;
    if (file === undefined || file === '') return failed('E_SPAWN_FAILED', 'empty command');
    const shown = req.program ?? file;
    // Why a spawn failed is worked out afterwards, so the common path costs no extra system calls.
    const explain = (fallback: Failure): SpawnFailed => failedWith(explainUnrunnable(file, req.cwd, req.env.PATH) ?? fallback);
    let child: ChildProcess;
    const previous = req.umask === null ? null : process.umask(req.umask);
    try {
      child = spawn(file, args, {
        cwd: req.cwd,
        env: req.env,
        detached: true,
        stdio: req.listenFd === undefined ? ['ignore', stdio(req.stdout), stdio(req.stderr)] : ['ignore', stdio(req.stdout), stdio(req.stderr), req.listenFd],
      });
    } catch (err) {
      return explain(failure('E_SPAWN_FAILED', `cannot start ${shown}: ${(err as Error).message}`, { cause: err }));
    } finally {
      if (previous !== null) process.umask(previous);
    }
    if (child.pid === undefined) {
      // Node reports why on the next tick: a missing program is explained by a look at the disk,
      // anything else (EMFILE, EAGAIN...) by the error's code.
      const known = explainUnrunnable(file, req.cwd, req.env.PATH);
      const reason = new Promise<Failure>((resolve) => {
        child.once('error', (err: NodeJS.ErrnoException) => {
          const hint = SPAWN_HINTS[errnoOf(err) ?? ''];
          resolve(known ?? failure(hint === undefined ? 'E_SPAWN_FAILED' : 'E_SPAWN_LIMIT', `cannot start ${shown}: ${describeErrno(err)}${hint ?? ''}`, { cause: err }));
        });
      });
      return { ...failedWith(known ?? failure('E_SPAWN_FAILED', `cannot start ${shown}`)), reason };
    }
    child.on('error', () => {});
    const pid = child.pid;
    return {
      pid,
      stdout: child.stdout === null ? null : streamEnd(child.stdout),
      stderr: child.stderr === null ? null : streamEnd(child.stderr),
      onExit(listener) {
        child.once('exit', (code, signal) => listener(code, signal));
      },
    };
  },
  outputPair: () => pairs.pair(QUIET_PIPE_BYTES),
};

/** A child_process output stream as a read end (its chunks are fresh Buffers; a sink's false pauses it). */
export function streamEnd(stream: Readable): ReadEnd {
  stream.on('error', () => {});
  return {
    setSink: (sink) => {
      stream.on('data', (c: Buffer) => {
        if (!sink(c, c.length)) stream.pause();
      });
    },
    pause: () => void stream.pause(),
    resume: () => void stream.resume(),
    onEnd: (fn) => void stream.once('close', fn),
    destroy: () => void stream.destroy(),
  };
}
