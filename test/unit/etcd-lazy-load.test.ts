// An emperor on a directory pays nothing for etcd: the client (etcd3, cockatiel) and its wrapper are
// loaded only by a dynamic import, when --vassals names etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('etcd3 and the etcd client wrapper are imported dynamically only', () => {
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    const rel = relative(SRC, f);
    assert.doesNotMatch(text, /^import (?!type)[^;]*from '(etcd3|cockatiel)'/m, `${rel} imports the etcd client statically`);
    assert.doesNotMatch(text, /^import (?!type)[^;]*from '[./]*io\/etcd-client\.ts'/m, `${rel} imports io/etcd-client.ts statically`);
  }
});
