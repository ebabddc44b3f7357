// Delivers one alarm: a command (`sh -c`, the JSON on stdin, killed with its process group after the
// timeout) or one HTTP POST. One attempt each; retries are the runtime's (runtime/alarms.ts).
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { GroupGuard } from './guardian.ts';

/** How one attempt went; `detail` says why it failed. */
export interface AttemptResult {
  result: 'sent' | 'failed' | 'timeout';
  detail: string;
}

/** One attempt at delivering an alarm: the port runtime/alarms.ts sends through. */
export interface AlarmTransport {
  exec(command: string, line: string, env: Record<string, string>, timeoutMs: number): Promise<AttemptResult>;
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptResult>;
  /** `Name: value` lines of a webhook-header-file; throws when it cannot be read. */
  headers(path: string): Record<string, string>;
}

/** The real transport; `guard` (the emperor's guardian) kills a command still running when the emperor is SIGKILLed. */
export function realAlarmTransport(guard: GroupGuard): AlarmTransport {
  return { exec: (command, line, env, timeoutMs) => execAlarm(command, line, env, timeoutMs, guard), post: postAlarm, headers: readHeaderFile };
}

// Alarm commands running now, by process group (no cgroup holds them): when the emperor exits, however it
// exits short of SIGKILL, the ones still running are killed with their group; after a SIGKILL, the guardian
// kills them, as it does the vassals' groups. (The guardian would end them at any exit too, but later, and
// not at all when its shell could not start: the hook stays.)
const running = new Set<number>();
let hooked = false;

function killRunning(): void {
  for (const group of running) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

function execAlarm(command: string, line: string, env: Record<string, string>, timeoutMs: number, guard: GroupGuard): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: AttemptResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (group !== undefined) guard.untrack(group);
      resolve(r);
    };
    const child = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
    const group = child.pid;
    if (group !== undefined) {
      running.add(group);
      guard.track(group);
    }
    if (!hooked) {
      hooked = true;
      process.on('exit', killRunning);
    }
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => {
      try {
        if (group !== undefined) process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
      if (group !== undefined) running.delete(group);
      finish({ result: 'timeout', detail: `killed after ${timeoutMs / 1000}s (alarm-timeout)` });
    }, timeoutMs);
    child.on('error', (err) => finish({ result: 'failed', detail: err.message }));
    child.on('close', (code, signal) => {
      if (group !== undefined) running.delete(group);
      if (code === 0) finish({ result: 'sent', detail: '' });
      else finish({ result: 'failed', detail: `${signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}` });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(line);
  });
}

function postAlarm(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    let req;
    try {
      req = send(url, { method: 'POST', timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? { result: 'sent', detail: '' } : { result: 'failed', detail: `HTTP ${status}` });
      });
    } catch (err) {
      resolve({ result: 'failed', detail: (err as Error).message });
      return;
    }
    req.on('timeout', () => {
      req.destroy();
      resolve({ result: 'timeout', detail: `no answer within ${timeoutMs / 1000}s (alarm-timeout)` });
    });
    req.on('error', (err) => resolve({ result: 'failed', detail: err.message }));
    req.end(body);
  });
}

function readHeaderFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z0-9-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m !== null) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}
