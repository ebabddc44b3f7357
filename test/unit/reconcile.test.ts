import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REMOVE_GRACE_MS, planReconcile, type Current, type Desired } from '../../src/core/reconcile.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { makeSpec } from './make-spec.ts';

const DIR = '/etc/emperor/vassals';

function desired(name: string, version: string, spec: VassalSpec | null, error: string | null = null): Desired {
  return { name, file: `${DIR}/${name}.ini`, version, spec, error };
}

function running(d: Desired, removing = false): Current {
  return { name: d.name, file: d.file, version: d.version, spec: d.spec, error: d.error, removing };
}

function valid(name: string, version: string, overrides: Partial<VassalSpec> = {}): Desired {
  return desired(name, version, makeSpec({ name, file: `${DIR}/${name}.ini`, ...overrides }));
}

function invalid(name: string, version: string, error: string): Desired {
  return desired(name, version, null, error);
}

test('the grace before a remove is 300 ms', () => {
  assert.equal(REMOVE_GRACE_MS, 300);
});

test('a new file is added; an empty directory with nothing running plans nothing', () => {
  assert.deepEqual(planReconcile([], [], new Map(), 0), []);
  const web = valid('web', 'v1');
  assert.deepEqual(planReconcile([web], [], new Map(), 0), [{ op: 'add', desired: web }]);
});

test('a new invalid file is added too, carrying its error', () => {
  const bad = invalid('bad', 'v1', `${DIR}/bad.ini:3: unknown key \`comand\``);
  assert.deepEqual(planReconcile([bad], [], new Map(), 0), [{ op: 'add', desired: bad }]);
});

test('several new files are added in directory order', () => {
  const a = valid('a', 'v1');
  const b = valid('b', 'v1');
  assert.deepEqual(planReconcile([a, b], [], new Map(), 0), [
    { op: 'add', desired: a },
    { op: 'add', desired: b },
  ]);
});

test('the same version of a running valid vassal is a no-op', () => {
  const web = valid('web', 'v1');
  assert.deepEqual(planReconcile([web], [running(web)], new Map(), 1000), []);
  // The spec compared is not looked at: the version alone says nothing changed.
  const copy = valid('web', 'v1', { command: ['/bin/other'] });
  assert.deepEqual(planReconcile([copy], [running(web)], new Map(), 1000), []);
});

test('a new version is a change, classified as touch, supervision or restart', () => {
  const before = valid('web', 'v1');
  const cases: Array<[Desired, 'touch' | 'supervision' | 'restart']> = [
    [valid('web', 'v2'), 'touch'],
    [valid('web', 'v2', { lines: { command: 9 } }), 'touch'],
    [valid('web', 'v2', { stopTimeout: 1000 }), 'supervision'],
    [valid('web', 'v2', { instances: 3 }), 'supervision'],
    [valid('web', 'v2', { command: ['/bin/other'] }), 'restart'],
    [valid('web', 'v2', { env: [['PORT', '1']], restart: 'never' }), 'restart'],
  ];
  for (const [after, kind] of cases) {
    const ops = planReconcile([after], [running(before)], new Map(), 0);
    assert.deepEqual(ops, [{ op: 'change', desired: after, kind }], kind);
  }
});

test('a running vassal whose file moved (same name, other file) is a change', () => {
  const ini = valid('web', 'v1');
  const conf: Desired = { ...ini, file: `${DIR}/web.conf`, spec: makeSpec({ file: `${DIR}/web.conf` }) };
  const ops = planReconcile([conf], [running(ini)], new Map(), 0);
  assert.deepEqual(ops, [{ op: 'change', desired: conf, kind: 'restart' }]);
});

test('an invalid vassal whose file becomes valid is a restart change, even at the same version', () => {
  const bad = invalid('web', 'v1', 'web.ini:2: bad value');
  const good = valid('web', 'v2');
  assert.deepEqual(planReconcile([good], [running(bad)], new Map(), 0), [{ op: 'change', desired: good, kind: 'restart' }]);
  const sameVersion = valid('web', 'v1');
  assert.deepEqual(planReconcile([sameVersion], [running(bad)], new Map(), 0), [
    { op: 'change', desired: sameVersion, kind: 'restart' },
  ]);
});

test('a running valid vassal shown INVALID (old spec kept) that is fixed is a classified change', () => {
  // The runtime keeps the old spec running and records the error: Current has both.
  const old = valid('web', 'v1');
  const current: Current = { ...running(old), version: 'v2', error: 'web.ini:2: bad value' };
  const fixed = valid('web', 'v3', { stopTimeout: 2000 });
  assert.deepEqual(planReconcile([fixed], [current], new Map(), 0), [{ op: 'change', desired: fixed, kind: 'supervision' }]);
  const fixedBack = valid('web', 'v2');
  assert.deepEqual(planReconcile([fixedBack], [current], new Map(), 0), [{ op: 'change', desired: fixedBack, kind: 'touch' }]);
});

test('a file that becomes invalid is an invalid op', () => {
  const good = valid('web', 'v1');
  const bad = invalid('web', 'v2', 'web.ini:2: bad value');
  assert.deepEqual(planReconcile([bad], [running(good)], new Map(), 0), [{ op: 'invalid', desired: bad }]);
});

test('an invalid file is re-reported on a new error or a new version, not otherwise', () => {
  const bad = invalid('web', 'v1', 'web.ini:2: bad value');
  const current = running(bad);
  assert.deepEqual(planReconcile([bad], [current], new Map(), 0), [], 'same version, same error');
  const newError = invalid('web', 'v1', 'web.ini:2: bad value\nweb.ini:3: unknown key');
  assert.deepEqual(planReconcile([newError], [current], new Map(), 0), [{ op: 'invalid', desired: newError }]);
  const newVersion = invalid('web', 'v2', 'web.ini:2: bad value');
  assert.deepEqual(planReconcile([newVersion], [current], new Map(), 0), [{ op: 'invalid', desired: newVersion }]);
});

test('a vanished file is removed only after REMOVE_GRACE_MS, with a recheck planned before', () => {
  const web = valid('web', 'v1');
  const current = [running(web)];
  const missing = new Map<string, number>();
  assert.deepEqual(planReconcile([], current, missing, 1000), [{ op: 'recheck', afterMs: 300 }]);
  assert.deepEqual([...missing], [['web', 1000]]);
  assert.deepEqual(planReconcile([], current, missing, 1100), [{ op: 'recheck', afterMs: 200 }]);
  assert.deepEqual(planReconcile([], current, missing, 1299), [{ op: 'recheck', afterMs: 1 }]);
  assert.deepEqual([...missing], [['web', 1000]], 'the first sighting is kept');
  assert.deepEqual(planReconcile([], current, missing, 1300), [{ op: 'remove', name: 'web' }]);
  assert.equal(missing.size, 0);
});

test('recheck delays are whole milliseconds, at least 1', () => {
  const current = [running(valid('web', 'v1'))];
  const missing = new Map<string, number>([['web', 0]]);
  assert.deepEqual(planReconcile([], current, missing, 100.2), [{ op: 'recheck', afterMs: 200 }]);
  assert.deepEqual(planReconcile([], current, missing, 299.5), [{ op: 'recheck', afterMs: 1 }]);
  assert.deepEqual(planReconcile([], current, missing, 299.999), [{ op: 'recheck', afterMs: 1 }]);
});

test('a late reconcile removes at once when the grace has passed since the first sighting', () => {
  const current = [running(valid('web', 'v1'))];
  const missing = new Map<string, number>();
  planReconcile([], current, missing, 0);
  assert.deepEqual(planReconcile([], current, missing, 10_000), [{ op: 'remove', name: 'web' }]);
});

test('a file that vanishes and comes back within the grace (editor save by rename) is never removed', () => {
  const v1 = valid('web', 'v1');
  const v2 = valid('web', 'v2');
  const current = [running(v1)];
  const missing = new Map<string, number>();
  assert.deepEqual(planReconcile([], current, missing, 0), [{ op: 'recheck', afterMs: 300 }]);
  // Back, rewritten: a change, and the missing mark is gone.
  assert.deepEqual(planReconcile([v2], current, missing, 150), [{ op: 'change', desired: v2, kind: 'touch' }]);
  assert.equal(missing.size, 0);
  // The pending recheck fires with the file present: nothing to do.
  assert.deepEqual(planReconcile([v1], current, missing, 300), []);
  // Gone again later: a fresh grace from this sighting, not from the first one.
  assert.deepEqual(planReconcile([], current, missing, 400), [{ op: 'recheck', afterMs: 300 }]);
  assert.deepEqual(planReconcile([], current, missing, 650), [{ op: 'recheck', afterMs: 50 }]);
  assert.deepEqual(planReconcile([v1], current, missing, 690), []);
  assert.equal(missing.size, 0);
  for (const now of [700, 800, 1000]) {
    const ops = planReconcile([v1], current, missing, now);
    assert.ok(!ops.some((o) => o.op === 'remove'), `no remove at ${now}`);
  }
});

test('several vanished files: each removed on its own deadline, one recheck for the soonest', () => {
  const a = valid('a', 'v1');
  const b = valid('b', 'v1');
  const c = valid('c', 'v1');
  const current = [running(a), running(b), running(c)];
  const missing = new Map<string, number>();
  assert.deepEqual(planReconcile([c], current, missing, 0), [{ op: 'recheck', afterMs: 300 }]);
  assert.deepEqual(planReconcile([c], [running(a), running(c)], missing, 100), [{ op: 'recheck', afterMs: 200 }]);
  // b was dropped from current by someone else: its mark is cleaned up.
  assert.deepEqual([...missing.keys()], ['a']);
  assert.deepEqual(planReconcile([], current, missing, 200), [{ op: 'recheck', afterMs: 100 }]);
  assert.deepEqual(planReconcile([], current, missing, 300), [{ op: 'remove', name: 'a' }, { op: 'recheck', afterMs: 200 }]);
  // a's stop is under way: the runtime no longer lists it (or lists it as removing).
  assert.deepEqual(planReconcile([], [running(a, true), running(b), running(c)], missing, 500), [
    { op: 'remove', name: 'b' },
    { op: 'remove', name: 'c' },
  ]);
  assert.equal(missing.size, 0);
});

test('vassals already being removed are skipped: no remove, no recheck, no change', () => {
  const web = valid('web', 'v1');
  const removing = [running(web, true)];
  const missing = new Map<string, number>();
  assert.deepEqual(planReconcile([], removing, missing, 0), []);
  assert.deepEqual(planReconcile([], removing, missing, 10_000), []);
  assert.equal(missing.size, 0);
  // Its file came back, even changed or broken: re-planned once the stop completes.
  assert.deepEqual(planReconcile([valid('web', 'v2', { command: ['/bin/x'] })], removing, missing, 0), []);
  assert.deepEqual(planReconcile([invalid('web', 'v3', 'web.ini:1: bad')], removing, missing, 0), []);
});

test('missingSince entries of vassals no longer running are cleaned up; present ones cleared', () => {
  const web = valid('web', 'v1');
  const missing = new Map<string, number>([
    ['gone', 5],
    ['web', 5],
  ]);
  assert.deepEqual(planReconcile([web], [running(web)], missing, 100), []);
  assert.equal(missing.size, 0);
  const stale = new Map<string, number>([['ghost', 0]]);
  assert.deepEqual(planReconcile([], [], stale, 100), []);
  assert.equal(stale.size, 0);
});

test('adds, changes, invalids and removes combine in one plan', () => {
  const keep = valid('keep', 'v1');
  const edit = valid('edit', 'v1');
  const edited = valid('edit', 'v2', { command: ['/bin/new'] });
  const broken = valid('broken', 'v1');
  const brokenNow = invalid('broken', 'v2', 'broken.ini:1: no command');
  const gone = valid('gone', 'v1');
  const fresh = valid('fresh', 'v1');
  const current = [running(keep), running(edit), running(broken), running(gone)];
  const missing = new Map<string, number>([['gone', 0]]);
  assert.deepEqual(planReconcile([keep, edited, brokenNow, fresh], current, missing, 300), [
    { op: 'change', desired: edited, kind: 'restart' },
    { op: 'invalid', desired: brokenNow },
    { op: 'add', desired: fresh },
    { op: 'remove', name: 'gone' },
  ]);
});
