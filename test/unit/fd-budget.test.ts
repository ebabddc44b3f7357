// The descriptor budget: spawns are refused within FD_RESERVE of the open-file limit, with the figures
// and the fix; far from the limit the descriptors are not counted at every spawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetedSpawner, FdBudget, FD_RESERVE, type FdFacts } from '../../src/io/fd-budget.ts';
import type { Spawner } from '../../src/io/spawner.ts';

function facts(open: number, limit: number | null): FdFacts & { counts: number; set(o: number, l: number | null): void } {
  const f = {
    counts: 0,
    open: () => {
      f.counts++;
      return open;
    },
    limit: () => limit,
    set: (o: number, l: number | null) => {
      open = o;
      limit = l;
    },
  };
  return f;
}

test('near the limit a spawn is refused, naming the figures and the fix; once descriptors free up it goes ahead', () => {
  const f = facts(50, 64);
  const b = new FdBudget(f);
  assert.equal(b.refusal(), `the emperor has 50 of its 64 file descriptors open and keeps ${FD_RESERVE} free for its sockets: raise its limit (LimitNOFILE= in its unit, ulimit -n), or run fewer vassals`);
  f.set(30, 64);
  assert.equal(b.refusal(), null);
  f.set(30, 1024);
  assert.equal(b.refusal(), null, 'a raised limit (prlimit on the running emperor) is seen at once');
});

test('far from the limit the descriptors are counted once, not at every spawn', () => {
  const f = facts(100, 100_000);
  const b = new FdBudget(f);
  for (let i = 0; i < 1000; i++) assert.equal(b.refusal(), null);
  assert.equal(f.counts, 1);
});

test('no limit known: never refused, never counted', () => {
  const f = facts(10, null);
  const b = new FdBudget(f);
  assert.equal(b.refusal(), null);
  assert.equal(f.counts, 0);
});

test('the budgeted spawner fails with E_FD_LIMIT naming the command, and does not call the real spawner', () => {
  const inner: Spawner = { spawn: () => assert.fail('no spawn near the limit'), outputPair: () => Promise.reject(new Error('unused')) };
  const s = budgetedSpawner(inner, new FdBudget(facts(60, 64)));
  const r = s.spawn({ argv: ['/bin/sh', '-c', 'x'], program: '/usr/bin/redis-server', cwd: '/', env: {}, umask: null, stdout: { kind: 'null' }, stderr: { kind: 'null' } });
  assert.ok('error' in r);
  assert.equal(r.failure.code, 'E_FD_LIMIT');
  assert.match(r.error, /^cannot start \/usr\/bin\/redis-server: the emperor has 60 of its 64 file descriptors open/);
});

test('the budgeted spawner keeps what the spawner does itself (a native spawner enters cgroups)', () => {
  const inner: Spawner = { cgroups: true, spawn: () => assert.fail('unused'), outputPair: () => Promise.reject(new Error('unused')) };
  assert.equal(budgetedSpawner(inner, new FdBudget(facts(10, 1000))).cgroups, true);
  const plain: Spawner = { spawn: () => assert.fail('unused'), outputPair: () => Promise.reject(new Error('unused')) };
  assert.equal(budgetedSpawner(plain).cgroups, undefined);
});

test('far from the limit the limit itself is read again only now and then (every 64 spawns), and a lowered one is seen then', () => {
  let reads = 0;
  let limit = 100_000;
  const b = new FdBudget({ open: () => 100, limit: () => (reads++, limit) });
  for (let i = 0; i < 640; i++) assert.equal(b.refusal(), null);
  assert.ok(reads <= 11, `${reads} reads of the limit for 640 spawns`);
  limit = 110;
  let refused = 0;
  for (let i = 0; i < 64; i++) if (b.refusal() !== null) refused++;
  assert.ok(refused > 0, 'the lowered limit refuses spawns within 64 of them');
});
