// Regressions the fault suite found on the stats socket: a client that sent bytes and hung up kept its connection
// (a descriptor) open forever, and a burst of clients past Node's default backlog was refused with EAGAIN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeUnix, startStatsServer } from '../../src/control/stats-server.ts';
import { waitFor } from './harness.ts';

const connections = (server: Server): Promise<number> => new Promise((resolve) => server.getConnections((_, n) => resolve(n)));

test('a stats client that writes and hangs up is closed; 1,000 at once are all accepted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-stats-'));
  const path = join(dir, 'stats.sock');
  const server = await startStatsServer(path, () => JSON.stringify({ x: 'y'.repeat(1000) }));
  try {
    await Promise.all(Array.from({ length: 20 }, () => new Promise<void>((resolve) => {
      const s = createConnection({ path }, () => {
        s.write('garbage\n');
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 50);
      });
      s.on('error', () => resolve());
    })));
    await waitFor('every connection closed', async () => (await connections(server)) === 0, 5000);
    const results = await Promise.all(Array.from({ length: 1000 }, () => new Promise<string>((resolve) => {
      const s = createConnection({ path });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      s.on('end', () => resolve('ok'));
      s.resume();
    })));
    assert.deepEqual(results.filter((r) => r !== 'ok'), []);
  } finally {
    closeUnix(server, path);
    rmSync(dir, { recursive: true, force: true });
  }
});
