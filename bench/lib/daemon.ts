// Starting a supervisor's own process for a run (output to a file), and ending what is left by pid.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createConnection } from 'node:net';
import { isAlive, treeOf } from './proc.ts';
import { sleep } from './util.ts';

/** Spawns a long-running process detached in its own process group, stdout+stderr into logFile; its pid. */
export function startDaemon(cmd: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): number {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.on('error', () => undefined);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

/** SIGKILLs every live process under the roots (children first) and returns their pids. */
export async function killTrees(roots: readonly number[]): Promise<number[]> {
  const left = treeOf(roots.filter((p) => p > 0)).map((s) => s.pid).reverse();
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (left.length > 0) await sleep(50);
  return left.filter((p) => isAlive(p));
}

/** Connects to a unix socket, optionally writes a request, and reads to EOF. */
export function readUnix(path: string, request?: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    const chunks: Buffer[] = [];
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`${path}: no answer in ${timeoutMs} ms`)));
    sock.on('connect', () => {
      if (request !== undefined) sock.write(request);
    });
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
