// One stats read, timed in phases: connected, first byte, EOF, parsed.
import { createConnection } from 'node:net';
import type { StatsDocument } from '../../../src/control/protocol.ts';
import { nowMs } from '../../lib/summary.ts';

/** One stats read; every time is in ms from just before connect(). */
export interface TimedRead {
  startedAt: number;
  connectMs: number;
  firstByteMs: number;
  /** EOF: the whole document has arrived. */
  endMs: number;
  /** EOF plus JSON.parse; null when not parsed. */
  parsedMs: number | null;
  bytes: number;
  doc: StatsDocument | null;
}

/** Connects to the stats socket, reads to EOF and (when `parse`) parses, stamping each phase. */
export function timedRead(path: string, parse: boolean, timeoutMs = 10000): Promise<TimedRead> {
  return new Promise((resolveRead, reject) => {
    const t0 = nowMs();
    let connectMs = NaN;
    let firstByteMs = NaN;
    const chunks: Buffer[] = [];
    const sock = createConnection({ path });
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`stats socket ${path}: no answer in ${timeoutMs} ms`)));
    sock.once('connect', () => (connectMs = nowMs() - t0));
    sock.on('data', (d: Buffer) => {
      if (chunks.length === 0) firstByteMs = nowMs() - t0;
      chunks.push(d);
    });
    sock.on('error', reject);
    sock.on('end', () => {
      const endMs = nowMs() - t0;
      const buf = Buffer.concat(chunks);
      let doc: StatsDocument | null = null;
      let parsedMs: number | null = null;
      if (parse) {
        try {
          doc = JSON.parse(buf.toString('utf8')) as StatsDocument;
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        parsedMs = nowMs() - t0;
      }
      resolveRead({ startedAt: t0, connectMs, firstByteMs, endMs, parsedMs, bytes: buf.length, doc });
    });
  });
}
