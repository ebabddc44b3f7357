// The etcd adapter against a real etcd: a watch from a compacted revision fails (the source then lists
// again), and a watch from a live revision reports the changes after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './harness.ts';
import { EtcdCluster } from './etcd-cluster.ts';
import { openEtcd } from '../../src/io/etcd-client.ts';

test('watch from revision + 1 reports later changes; from a compacted revision it fails', { timeout: 60_000 }, async (t) => {
  const cluster = await EtcdCluster.start(1);
  const conn = await openEtcd({ endpoints: cluster.endpoints.split(','), ca: null, cert: null, key: null, auth: null });
  t.after(async () => {
    conn.close();
    await cluster.stop();
  });
  await cluster.put('c/all/a.ini', '1');
  const listed = await conn.list('c/all/');
  assert.equal(listed.kvs.length, 1);
  const seen: string[] = [];
  const live = await conn.watch('c/all/', listed.revision + 1, {
    changes: (cs) => void seen.push(...cs.map((c) => `${c.type} ${c.kv.key}`)),
    disconnected: () => {},
    connected: () => {},
    failed: (err) => assert.fail(err),
  });
  await cluster.put('c/all/b.ini', '2');
  await cluster.del('c/all/a.ini');
  await waitFor('both changes', () => seen.length === 2, 10000);
  assert.deepEqual(seen, ['put c/all/b.ini', 'delete c/all/a.ini']);
  await live.close();

  await cluster.put('c/all/c.ini', '3');
  const latest = (await conn.list('c/all/')).revision;
  await cluster.ctl(['compact', String(latest)]);
  let failed: Error | null = null;
  const stale = await conn.watch('c/all/', listed.revision + 1, {
    changes: () => {},
    disconnected: () => {},
    connected: () => {},
    failed: (err) => void (failed = err),
  });
  await waitFor('the compacted watch fails', () => failed !== null, 10000);
  await stale.close().catch(() => {});
});
