// Reading an emperor's stats socket, and polling until a condition holds (the diagnostics' waits).
import { createConnection } from 'node:net';
import type { StatsDocument } from '../../src/control/protocol.ts';
import { nowMs } from './summary.ts';
import { sleep } from './util.ts';

/** Connects to the stats socket, reads to EOF and parses the document. */
export function readStats(path: string, timeoutMs = 5000): Promise<StatsDocument> {
  return new Promise((resolveDoc, reject) => {
    const sock = createConnection({ path });
    const chunks: Buffer[] = [];
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`stats socket ${path}: no answer in ${timeoutMs} ms`)));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      try {
        resolveDoc(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatsDocument);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** Polls `check` every `everyMs` until it returns a non-null value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | null> | T | null, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = nowMs() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== null) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (nowMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await sleep(everyMs);
  }
}
