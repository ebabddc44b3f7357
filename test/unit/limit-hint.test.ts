// A failed exit of a non-root vassal whose user is at the process limit says so; anything else is left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitReason, withLimitHint } from '../../src/runtime/limit-hint.ts';
import { ownProcessLimit } from '../../src/io/process-limit.ts';
import type { Supervised } from '../../src/runtime/supervised.ts';

const user = { name: 'app', uid: 1001 };
const at = (count: number, limit: number) => ({ processLimit: () => ({ count, limit }) });

test('a failed exit at the limit (or within 2 of it) names the limit, the count and the fix', () => {
  assert.equal(
    limitReason(2, null, user, at(7, 8)),
    "exited with code 2 (user app is at its process limit, 7 processes of RLIMIT_NPROC 8: raise LimitNPROC= in the emperor's unit or nproc in /etc/security/limits.conf, or run fewer processes as app)",
  );
  assert.match(limitReason(null, 'SIGABRT', user, at(8, 8)) ?? '', /^killed by SIGABRT \(user app is at its process limit/);
});

test('no reason: a clean exit, a user far from the limit, no limit, no way to tell', () => {
  assert.equal(limitReason(0, null, user, at(8, 8)), null);
  assert.equal(limitReason(1, null, user, at(5, 8)), null);
  assert.equal(limitReason(1, null, user, { processLimit: () => null }), null);
  assert.equal(limitReason(1, null, user, {}), null);
});

test('withLimitHint: the reason reaches the exit listener; root and a reason already given are left alone', () => {
  const listeners: Array<(code: number | null, signal: string | null, reason?: string) => void> = [];
  const sup: Supervised = { pid: 7, guarded: true, signal: () => {}, signalMain: () => true, alive: () => false, onExit: (l) => void listeners.push(l) };
  const facts = { ...at(8, 8), readPidfile: () => assert.fail(), identify: () => null, bootTimeMs: () => 0, writePidfile: () => {}, watchDir: () => null };
  const heard: Array<string | undefined> = [];
  const wrapped = withLimitHint(facts, user, sup);
  assert.ok('pid' in wrapped);
  wrapped.onExit((_c, _s, reason) => void heard.push(reason));
  listeners[0]?.(2, null);
  listeners[0]?.(null, 'SIGKILL', 'killed by the kernel OOM killer');
  assert.match(heard[0] ?? '', /process limit, 8 processes of RLIMIT_NPROC 8/);
  assert.equal(heard[1], 'killed by the kernel OOM killer');
  assert.equal(withLimitHint(facts, { name: 'root', uid: 0 }, sup), sup, 'root is not bound by RLIMIT_NPROC');
  assert.equal(withLimitHint(facts, null, sup), sup, 'the emperor\'s own user');
});

test('ownProcessLimit reads the soft limit of /proc/self/limits', () => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax processes             8                    95581                processes\n';
  assert.equal(ownProcessLimit(limits), 8);
  assert.equal(ownProcessLimit(limits.replace(' 8 ', ' unlimited ')), null);
  assert.equal(ownProcessLimit(''), null);
});
