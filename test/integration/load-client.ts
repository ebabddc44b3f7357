// A bounded HTTP load generator on loopback: a few workers, one fresh connection per request, every outcome counted.
import { request, Agent } from 'node:http';

/** Where and how to send requests. */
export interface LoadOptions {
  port?: number;
  host?: string;
  /** a Unix socket path instead of host and port. */
  socketPath?: string;
  path?: string;
  /** requests in flight at once (each worker sends its next request when the last one ended). */
  concurrency?: number;
  /** reuse connections (keep-alive) instead of one connection per request. */
  keepAlive?: boolean;
  /** a request not answered within this is a failure. */
  timeoutMs?: number;
}

/** What a run saw. A request is ok when it got a 2xx answer with a complete body. */
export interface LoadReport {
  requests: number;
  ok: number;
  /** answered, but not 2xx. */
  httpFailures: number;
  /** refused, reset, hung up, timed out. */
  connectionErrors: number;
  /** a few error messages, for the failure report. */
  samples: string[];
  /** each `pid N` seen in a body, with how many answers it gave. */
  pids: Map<number, number>;
  /** each `version V` seen in a body. */
  versions: Map<string, number>;
}

/** A running load; `stop()` lets the requests in flight end and returns the report. */
export interface Load {
  report: LoadReport;
  stop(): Promise<LoadReport>;
}

/** Starts sending requests at once; nothing is sent after `stop()`. */
export function startLoad(opts: LoadOptions): Load {
  const report: LoadReport = { requests: 0, ok: 0, httpFailures: 0, connectionErrors: 0, samples: [], pids: new Map(), versions: new Map() };
  const concurrency = opts.concurrency ?? 4;
  const agent = opts.keepAlive === true ? new Agent({ keepAlive: true, maxSockets: concurrency }) : false;
  let running = true;
  const sample = (s: string): void => {
    if (report.samples.length < 20) report.samples.push(s);
  };
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      report.requests += 1;
      let settled = false;
      const fail = (kind: 'http' | 'conn', what: string): void => {
        if (settled) return;
        settled = true;
        if (kind === 'http') report.httpFailures += 1;
        else report.connectionErrors += 1;
        sample(what);
        resolve();
      };
      const req = request(
        {
          host: opts.host ?? '127.0.0.1',
          port: opts.port,
          socketPath: opts.socketPath,
          path: opts.path ?? '/',
          agent,
          headers: opts.keepAlive === true ? {} : { connection: 'close' },
          timeout: opts.timeoutMs ?? 10_000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('error', (err) => fail('conn', `response: ${err.message}`));
          res.on('end', () => {
            if (settled) return;
            if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299 || !res.complete) {
              fail('http', `HTTP ${res.statusCode ?? '?'}: ${body.slice(0, 100)}`);
              return;
            }
            settled = true;
            report.ok += 1;
            const pid = /pid (\d+)/.exec(body)?.[1];
            if (pid !== undefined) report.pids.set(Number(pid), (report.pids.get(Number(pid)) ?? 0) + 1);
            const version = /version ([\w.-]+)/.exec(body)?.[1];
            if (version !== undefined) report.versions.set(version, (report.versions.get(version) ?? 0) + 1);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => fail('conn', `${err.code ?? ''} ${err.message}`.trim()));
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (running) await once();
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    report,
    async stop() {
      running = false;
      await Promise.all(workers);
      if (agent !== false) agent.destroy();
      return report;
    },
  };
}

/** One line for logs and READMEs: requests, ok, failures, connection errors. */
export function formatLoad(r: LoadReport): string {
  return `${r.requests} requests: ${r.ok} ok, ${r.httpFailures} HTTP failures, ${r.connectionErrors} connection errors`;
}
