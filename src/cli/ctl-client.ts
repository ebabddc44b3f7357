// emperorctl's side of the sockets: read the stats document, send one control request.
import { createConnection } from 'node:net';
import type { ControlRequest, ControlResponse, StatsDocument } from '../control/protocol.ts';
import { describeErrno, EmperorError, failure } from '../core/errors.ts';

const TIMED_OUT = 'timed out';

/** The emperor could not be reached: exit code 3, with the socket tried and how to point elsewhere. */
export class UnreachableError extends EmperorError {
  /** the emperor took the connection and did not answer in time (hung, or far too busy). */
  readonly timedOut: boolean;

  constructor(path: string, cause: string) {
    super(
      failure(
        'E_CONTROL_UNREACHABLE',
        `cannot reach the emperor at ${path} (${cause}): is it running? ` +
          'Point at another with --socket PATH / --stats PATH, or set EMPEROR_STATE_DIR to its --state-dir',
      ),
    );
    this.timedOut = cause === TIMED_OUT;
  }
}

const why = (err: NodeJS.ErrnoException): string => describeErrno(err);

/** Reads the stats socket: one JSON document, then EOF. */
export function readStats(path: string, timeoutMs = 5000): Promise<StatsDocument> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    const chunks: Buffer[] = [];
    sock.setTimeout(timeoutMs, () => sock.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', (err) => reject(new UnreachableError(path, why(err))));
    sock.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatsDocument);
      } catch {
        reject(new UnreachableError(path, 'answered with something that is not a stats document'));
      }
    });
  });
}

/**
 * Sends one request and parses the first line of the answer (then hangs up): for one large answer, read as bytes.
 * `onSent` runs once the request is written (not at all when the socket cannot be reached).
 */
export function askOnce(path: string, req: ControlRequest, onSent: () => void = () => {}, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err: UnreachableError | null, value?: unknown): void => {
      if (done) return;
      done = true;
      sock.destroy();
      if (err !== null) reject(err);
      else resolve(value);
    };
    sock.setTimeout(timeoutMs, () => finish(new UnreachableError(path, TIMED_OUT)));
    sock.on('connect', () => {
      sock.write(JSON.stringify(req) + '\n');
      onSent();
    });
    sock.on('data', (d: Buffer) => {
      const nl = d.indexOf(10);
      chunks.push(nl < 0 ? d : d.subarray(0, nl));
      if (nl < 0) return;
      try {
        finish(null, JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        finish(new UnreachableError(path, 'answered with something that is not JSON'));
      }
    });
    sock.on('error', (err) => finish(new UnreachableError(path, why(err))));
    sock.on('close', () => finish(new UnreachableError(path, 'closed without answering')));
  });
}

/** Sends one request and calls `onMessage` for every response line until `onMessage` returns false or the emperor hangs up. */
export function converse(path: string, req: ControlRequest, onMessage: (msg: ControlResponse) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    let buffer = '';
    let answered = false;
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        answered = true;
        let msg: ControlResponse;
        try {
          msg = JSON.parse(line) as ControlResponse;
        } catch {
          sock.destroy();
          reject(new UnreachableError(path, 'answered with something that is not JSON'));
          return;
        }
        if (!onMessage(msg)) {
          sock.end();
          sock.destroy();
          resolve();
          return;
        }
      }
    });
    sock.on('error', (err) => (answered ? resolve() : reject(new UnreachableError(path, why(err)))));
    sock.on('close', () => (answered ? resolve() : reject(new UnreachableError(path, 'closed without answering'))));
  });
}

/** Sends one request and returns the first response. */
export async function request(path: string, req: ControlRequest): Promise<ControlResponse> {
  let reply: ControlResponse | null = null;
  await converse(path, req, (msg) => {
    reply = msg;
    return false;
  });
  if (reply === null) throw new UnreachableError(path, 'no answer');
  return reply;
}
