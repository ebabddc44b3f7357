// Starts an event listener: like a vassal's process (its own process group), but with stdin and stdout as pipes (the protocol).
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { explainUnrunnable } from './spawner.ts';
import { failed, failedWith, failure, type Failed } from '../core/errors.ts';
import type { GroupGuard } from './guardian.ts';

/** What a listener process is started with. */
export interface ListenerSpawnRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  uid: number | null;
  gid: number | null;
  umask: number | null;
  /** an open log file for its stderr, or null to pipe it to the emperor. */
  stderrFd: number | null;
}

/** A started listener: protocol pipes, its stderr pipe (when not to a file), its end. */
export interface ListenerChild {
  pid: number;
  stdin: Writable;
  stdout: Readable;
  stderr: Readable | null;
  kill(signal: NodeJS.Signals): void;
  onExit(fn: (code: number | null, signal: string | null) => void): void;
}

/** Starts the listener, or says why it cannot be started. */
export type ListenerSpawner = (req: ListenerSpawnRequest) => ListenerChild | Failed;

/** The real spawner (child_process). */
export const spawnListener: ListenerSpawner = (req) => {
  const [file, ...args] = req.argv;
  if (file === undefined || file === '') return failed('E_SPAWN_FAILED', 'empty command');
  const previous = req.umask === null ? null : process.umask(req.umask);
  let child;
  try {
    child = spawn(file, args, {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: ['pipe', 'pipe', req.stderrFd ?? 'pipe'],
      ...(req.uid === null ? {} : { uid: req.uid }),
      ...(req.gid === null ? {} : { gid: req.gid }),
    });
  } catch (err) {
    return failedWith(explainUnrunnable(file, req.cwd, req.env.PATH) ?? failure('E_SPAWN_FAILED', `cannot start ${file}: ${(err as Error).message}`));
  } finally {
    if (previous !== null) process.umask(previous);
  }
  child.on('error', () => {});
  if (child.pid === undefined || child.stdin === null || child.stdout === null) {
    return failedWith(explainUnrunnable(file, req.cwd, req.env.PATH) ?? failure('E_SPAWN_FAILED', `cannot start ${file}`));
  }
  child.stdin.on('error', () => {});
  const pid = child.pid;
  const proc = child;
  return {
    pid,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    kill: (signal) => {
      try {
        process.kill(-pid, signal);
      } catch {
        proc.kill(signal);
      }
    },
    onExit: (fn) => proc.once('exit', (code, signal) => fn(code, signal)),
  };
};

/** A spawner whose listeners' process groups are told to the guardian, and what stops that. */
export interface GuardedListenerSpawn {
  spawn: ListenerSpawner;
  /** forgets every group and tracks no more: at a clean shutdown, before the guardian ends (it would SIGKILL what it still holds) and the listeners get their stop signal. */
  release(): void;
  /** SIGKILL to every listener's group still running (a second SIGINT: kill at once). */
  killAll(): void;
}

/**
 * `spawn` with each listener's process group told to `guard` (the emperor's guardian) until its leader
 * exits: no cgroup holds a listener, so without it a SIGKILL of the emperor would leave it running.
 */
export function guardedListenerSpawn(spawn: ListenerSpawner, guard: GroupGuard): GuardedListenerSpawn {
  // Groups whose leader has not exited yet; told to the guard until `release`.
  const groups = new Set<number>();
  let released = false;
  return {
    spawn: (req) => {
      const child = spawn(req);
      if ('error' in child) return child;
      const group = child.pid;
      groups.add(group);
      if (!released) guard.track(group);
      child.onExit(() => {
        if (groups.delete(group) && !released) guard.untrack(group);
      });
      return child;
    },
    release: () => {
      if (!released) for (const group of groups) guard.untrack(group);
      released = true;
    },
    killAll: () => {
      for (const group of groups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    },
  };
}
