// Helpers for the supervisord-compatibility tests: Debian's supervisorctl and supervisord, run as users run them.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { runProgram } from './harness.ts';

/** Debian's supervisorctl; run with /usr/bin/python3, where its `supervisor` module lives. */
export const SUPERVISORCTL = '/usr/bin/supervisorctl';
/** Debian's supervisord, the oracle. */
export const SUPERVISORD = '/usr/bin/supervisord';
/** Whether the supervisor package is installed (.ci/run installs it). */
export const haveSupervisor = existsSync(SUPERVISORCTL) && existsSync('/usr/bin/python3');

/** What a command printed and how it ended. */
export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking the test's event loop; killed after `timeoutMs`. */
export function run(argv: string[], timeoutMs = 30_000, env: Record<string, string | undefined> = {}): Promise<Run> {
  return runProgram(argv, timeoutMs, env);
}

/** `supervisorctl -s URL ARGS`. */
export function sctl(url: string, args: string[], extra: string[] = []): Promise<Run> {
  return run(['/usr/bin/python3', SUPERVISORCTL, '-s', url, ...extra, ...args]);
}

/** Replaces what differs between two runs of the same thing: pids, uptimes, stop times. */
export function normalize(text: string): string {
  return text
    .replace(/pid \d+, uptime \d+:\d\d:\d\d/g, 'pid N, uptime U')
    .replace(/[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M/g, 'DATE')
    .replace(/^\d+$/gm, 'N');
}

/** One raw HTTP request on a Unix socket; resolves with the status and the body. */
export function rawRequest(socketPath: string, method: string, path: string, body: string | Buffer = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
