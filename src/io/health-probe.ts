// One health probe: `http://` passes on a 2xx answer, `tcp://` on an accepted connection.
import { request } from 'node:http';
import { connect } from 'node:net';
import { describeErrno } from '../core/errors.ts';

/** The outcome of one probe, with a reason an operator can read. */
export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** Probes `target` once, giving up after `timeoutMs`. Never rejects. */
export function probe(target: string, timeoutMs: number): Promise<ProbeResult> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return Promise.resolve({ ok: false, message: `not a URL: ${target}` });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 0;
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean, message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ok, message });
    };
    const timer = setTimeout(() => {
      done(false, `no answer from ${target} within ${timeoutMs} ms`);
      cleanup();
    }, timeoutMs);
    let cleanup = (): void => {};
    if (url.protocol === 'tcp:') {
      const sock = connect({ host, port });
      cleanup = () => sock.destroy();
      sock.once('connect', () => {
        sock.destroy();
        done(true, `connected to ${host}:${port}`);
      });
      sock.once('error', (err: NodeJS.ErrnoException) => done(false, `${target}: ${describeErrno(err)}`));
      return;
    }
    const req = request({ host, port, path: `${url.pathname}${url.search}`, method: 'GET', agent: false, headers: { 'user-agent': 'emperor-health' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      done(code >= 200 && code < 300, `${target} answered HTTP ${code}`);
    });
    cleanup = () => req.destroy();
    req.once('error', (err: NodeJS.ErrnoException) => done(false, `${target}: ${describeErrno(err)}`));
    req.end();
  });
}
