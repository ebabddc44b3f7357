// Several sources -> one desired list: a name two sources define is an error naming both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSources } from '../../src/core/source-merge.ts';
import type { Desired } from '../../src/core/reconcile.ts';

const d = (name: string, file: string): Desired => ({ name, file, version: 'v1', spec: null, error: null });

test('distinct names pass through in order; a clash is INVALID naming both sources', () => {
  const merged = mergeSources([
    { address: '/etc/emperor/vassals', desired: [d('web', '/etc/emperor/vassals/web.ini'), d('db', '/etc/emperor/vassals/db.ini')] },
    { address: 'etcd://h:1/emp', desired: [d('web', 'etcd://h:1/emp/all/web.ini'), d('cron', 'etcd://h:1/emp/all/cron.ini')] },
  ]);
  assert.deepEqual(merged.map((m) => m.name), ['web', 'db', 'cron']);
  const web = merged[0];
  assert.equal(web?.spec, null);
  assert.match(web?.error ?? '', /defined by two sources, \/etc\/emperor\/vassals .* and etcd:\/\/h:1\/emp/);
  assert.equal(merged[1]?.error, null);
});
