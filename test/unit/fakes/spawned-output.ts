// What a spawned child wrote and how it ended, for the spawners' tests (native and child_process alike).
import type { ReadEnd } from '../../../src/io/output-pair.ts';
import type { SpawnedProcess } from '../../../src/io/spawner.ts';

/** Everything a child's output stream carried, once it closes ('' when there is no stream). */
export const read = (s: ReadEnd | null): Promise<string> =>
  new Promise((resolve) => {
    if (s === null) return resolve('');
    const chunks: Buffer[] = [];
    s.setSink((buf, len) => (chunks.push(Buffer.from(buf.subarray(0, len))), true));
    s.onEnd(() => resolve(Buffer.concat(chunks).toString()));
  });

/** The child's exit: [code, null] or [null, signal]. */
export const exited = (p: SpawnedProcess): Promise<[number | null, string | null]> => new Promise((resolve) => p.onExit((code, signal) => resolve([code, signal])));
