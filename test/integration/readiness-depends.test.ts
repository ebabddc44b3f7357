// `depends = NAME:completed`: migrations gate the app; a failed one keeps it waiting and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { vassalFile, withEmperor } from './harness.ts';

test('a migrations vassal gates its app: the app starts once migrate has EXITED with success, once', async () => {
  await withEmperor([], async (e) => {
    const mark = join(e.root, 'migrated');
    e.write('migrate.ini', vassalFile({ command: `/bin/sh -c 'sleep 1.5; touch ${mark}'`, restart: 'never' }));
    // The app fails at once if it starts before the migration is done.
    e.write('app.ini', vassalFile({ command: `/bin/sh -c 'test -f ${mark} && exec sleep 3600'`, depends: 'migrate:completed', 'start-secs': '200ms' }));
    const waiting = await e.waitVassal('app', 'to wait for migrate', (v) => /waiting for migrate to complete/.test(v.error ?? ''), 10000);
    assert.equal(waiting.state, 'STOPPED');
    assert.deepEqual(waiting.pids, []);
    const migrate = await e.waitState('migrate', 'EXITED', 10000);
    assert.equal(migrate.error, null);
    assert.ok(existsSync(mark));
    const app = await e.waitState('app', 'RUNNING', 10000);
    assert.equal(app.restarts, 0, 'never started before its migration');
    assert.equal(app.error, null);
  });
});

test('a failed one-shot keeps its dependents waiting, and their error says which one and why', async () => {
  await withEmperor([], async (e) => {
    e.write('migrate.ini', vassalFile({ command: "/bin/sh -c 'exit 3'", restart: 'never', 'start-retries': '1' }));
    e.write('app.ini', vassalFile({ command: 'sleep 3600', depends: 'migrate:completed' }));
    await e.waitState('migrate', 'FATAL', 10000);
    const app = await e.waitVassal('app', 'to say migrate failed', (v) => /its last run failed/.test(v.error ?? ''), 10000);
    assert.equal(app.state, 'STOPPED');
    assert.match(app.error ?? '', /^waiting for migrate to complete \(depends = migrate:completed\): its last run failed \(exited with code 3/);
  });
});

test('`:completed` on a vassal that always restarts: the dependent says it never completes', async () => {
  await withEmperor([], async (e) => {
    e.write('worker.ini', vassalFile({ command: 'sleep 3600' }));
    e.write('app.ini', vassalFile({ command: 'sleep 3600', depends: 'worker:completed' }));
    await e.waitState('worker', 'RUNNING', 10000);
    const app = await e.waitVassal('app', 'to explain', (v) => /never completes/.test(v.error ?? ''), 10000);
    assert.match(app.error ?? '', /worker has `restart = always` and never completes; set `restart = on-failure` or `never` in .*worker\.ini/);
  });
});
