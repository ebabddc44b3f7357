// The child_process adapter: every vassal process starts as the leader of its own process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { PairMaker, type OutputPair } from './socket-pair.ts';
import { errnoOf } from '../core/errors.ts';

/** Where one output stream of a child goes: `socket` is the child's end of an output pair. */
export type OutputTarget = { kind: 'pipe' } | { kind: 'fd'; fd: number } | { kind: 'null' } | { kind: 'socket'; socket: Socket };

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
}

/** A started process: its pid (also its process group) and its piped outputs. */
export interface SpawnedProcess {
  pid: number;
  stdout: Readable | null;
  stderr: Readable | null;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
}

/** Starts processes; injected so unit tests can use a fake. */
export interface Spawner {
  /** Returns the process, or an error message an operator can act on (`reason`: a better one, a tick later). */
  spawn(req: SpawnRequest): SpawnedProcess | { error: string; reason?: Promise<string> };
  /** A pipe whose emperor end reads into a shared buffer (log files); rejects with the system's error. */
  outputPair(): Promise<OutputPair>;
}

const stdio = (t: OutputTarget): 'pipe' | 'ignore' | number | Socket =>
  t.kind === 'pipe' ? 'pipe' : t.kind === 'fd' ? t.fd : t.kind === 'socket' ? t.socket : 'ignore';

const pairs = new PairMaker();

/** Explains why a command cannot run, checked before the spawn so the error is precise. */
export function explainUnrunnable(argv0: string, cwd: string, pathVar: string | undefined): string | null {
  try {
    if (!statSync(cwd).isDirectory()) return `directory ${cwd} is not a directory`;
  } catch {
    return `directory ${cwd} does not exist (set \`directory\` to an existing path)`;
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
      if (errnoOf(err) === 'EACCES') return `${c} is not executable (chmod +x ${c})`;
    }
  }
  return argv0.includes('/')
    ? `command not found: ${candidates[0]} does not exist`
    : `command not found: ${argv0} is not in PATH (${pathVar ?? 'unset'}); give its absolute path`;
}

// A script whose `#!` names a program that does not exist fails to exec with ENOENT too.
function missingInterpreter(path: string): string | null {
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
    return `${path} names the interpreter ${interpreter} on its #! line, which does not exist or is not executable`;
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
    if (file === undefined || file === '') return { error: 'empty command' };
    // Why a spawn failed is worked out afterwards, so the common path costs no extra system calls.
    const explain = (fallback: string): { error: string } => ({ error: explainUnrunnable(file, req.cwd, req.env.PATH) ?? fallback });
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
      return explain(`cannot start ${file}: ${(err as Error).message}`);
    } finally {
      if (previous !== null) process.umask(previous);
    }
    if (child.pid === undefined) {
      // Node reports why on the next tick: a missing program is explained by a look at the disk,
      // anything else (EMFILE, EAGAIN...) by the error's code.
      const known = explainUnrunnable(file, req.cwd, req.env.PATH);
      const reason = new Promise<string>((resolve) => {
        child.once('error', (err: NodeJS.ErrnoException) => resolve(known ?? `cannot start ${file}: ${err.code ?? err.message}${SPAWN_HINTS[err.code ?? ''] ?? ''}`));
      });
      return { error: known ?? `cannot start ${file}`, reason };
    }
    child.on('error', () => {});
    const pid = child.pid;
    return {
      pid,
      stdout: child.stdout ?? null,
      stderr: child.stderr ?? null,
      onExit(listener) {
        child.once('exit', (code, signal) => listener(code, signal));
      },
    };
  },
  outputPair: () => pairs.pair(),
};
