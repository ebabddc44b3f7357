// What a spawned child wrote and how it ended, for the spawners' tests (native and child_process alike).
import type { Readable } from 'node:stream';
import type { SpawnedProcess } from '../../../src/io/spawner.ts';

/** Everything a child's output stream carried, once it closes ('' when there is no stream). */
export const read = (s: Readable | null): Promise<string> =>
  new Promise((resolve) => {
    if (s === null) return resolve('');
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('close', () => resolve(text));
  });

/** The child's exit: [code, null] or [null, signal]. */
export const exited = (p: SpawnedProcess): Promise<[number | null, string | null]> => new Promise((resolve) => p.onExit((code, signal) => resolve([code, signal])));
