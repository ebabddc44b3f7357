// The tiny request: a ping over one kept-open control connection, sent from a worker thread every millisecond.
import { Worker } from 'node:worker_threads';
import { onCleanup } from '../../lib/cleanup.ts';
import { nowMs } from '../../lib/summary.ts';
import { PING_GAP_MS, PING_LINE } from './constants.ts';

/** One ping: when it was sent and how long the answer took. */
export interface Ping {
  at: number;
  ms: number;
}

/** `ok=false code=bad-request`, or the raw line when it is not a control response. */
function describeAnswer(line: string): string {
  try {
    const msg = JSON.parse(line) as { ok?: unknown; error?: { code?: unknown } };
    return `ok=${String(msg.ok)} code=${String(msg.error?.code)}`;
  } catch {
    return `not JSON: ${line.slice(0, 60)}`;
  }
}

/**
 * The pinger runs in a worker thread: its own event loop and heap, so the bench's parsing and garbage
 * collections on the main thread do not delay it. It pings every PING_GAP_MS over one control
 * connection, stamping with process.hrtime (the same clock as nowMs), until told to stop.
 */
const PINGER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pings = [];
const answers = [];
let stopped = false;
let buffer = '';
let waiting = null;
const sock = net.createConnection({ path: workerData.path });
sock.setEncoding('utf8');
sock.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\\n'); nl >= 0; nl = buffer.indexOf('\\n')) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const w = waiting;
    waiting = null;
    if (w) w(line);
  }
});
sock.on('error', (err) => parentPort.postMessage({ type: 'error', message: err.message }));
const ping = () => new Promise((resolve) => {
  const at = now();
  waiting = (line) => {
    if (answers.length < 5 && !answers.includes(line)) answers.push(line);
    resolve({ at, ms: now() - at });
  };
  sock.write(workerData.line);
});
parentPort.on('message', (m) => { if (m === 'stop') stopped = true; });
sock.once('connect', async () => {
  for (let i = 0; i < 10; i++) await ping();
  parentPort.postMessage({ type: 'ready' });
  while (!stopped) {
    pings.push(await ping());
    await new Promise((r) => setTimeout(r, workerData.gapMs));
  }
  sock.destroy();
  parentPort.postMessage({ type: 'done', pings, answers });
});
`;

type PingerMessage = { type: 'ready' } | { type: 'error'; message: string } | { type: 'done'; pings: Ping[]; answers: string[] };

/** The tiny request, sent every PING_GAP_MS from a worker thread until stop(). */
export class Pinger {
  private readonly worker: Worker;
  private readonly messages: PingerMessage[] = [];
  private notify: (() => void) | null = null;

  private constructor(path: string) {
    this.worker = new Worker(PINGER_SOURCE, { eval: true, workerData: { path, line: PING_LINE, gapMs: PING_GAP_MS } });
    this.worker.on('message', (m: unknown) => {
      this.messages.push(m as PingerMessage);
      this.notify?.();
    });
    this.worker.on('error', (err) => {
      this.messages.push({ type: 'error', message: err.message });
      this.notify?.();
    });
    onCleanup(async () => void (await this.worker.terminate()));
  }

  private async next(type: PingerMessage['type'], timeoutMs: number): Promise<PingerMessage> {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      const bad = this.messages.find((m) => m.type === 'error');
      if (bad !== undefined && bad.type === 'error') throw new Error(`pinger: ${bad.message}`);
      const found = this.messages.find((m) => m.type === type);
      if (found !== undefined) return found;
      if (nowMs() > deadline) throw new Error(`pinger: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.notify = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** Starts the worker; resolves once it is connected and has pinged 10 times. */
  static async start(path: string): Promise<Pinger> {
    const p = new Pinger(path);
    await p.next('ready', 10000);
    return p;
  }

  /** Stops the worker; every ping, and the distinct answers (described). */
  async stop(): Promise<{ pings: Ping[]; answers: string[] }> {
    this.worker.postMessage('stop');
    const done = await this.next('done', 15000);
    await this.worker.terminate();
    return done.type === 'done' ? { pings: done.pings, answers: [...new Set(done.answers.map(describeAnswer))] } : { pings: [], answers: [] };
  }
}

/** Pings that were in flight at some moment of [from, to]. */
export const overlapping = (pings: readonly Ping[], from: number, to: number): Ping[] => pings.filter((p) => p.at <= to && p.at + p.ms >= from);
