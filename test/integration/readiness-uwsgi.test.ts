// [uwsgi] vassals run as `uwsgi --emperor` runs them: the Emperor protocol over UWSGI_EMPEROR_FD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { alive, freePort, waitFor, withEmperor } from './harness.ts';

/** GET http://127.0.0.1:PORT/ with its Host header (the fastrouter routes by it); the body of a 200, else null. */
function get(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request(`http://127.0.0.1:${port}/`, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const HAVE_UWSGI = spawnSync('sh', ['-c', 'command -v uwsgi && test -e /usr/lib/uwsgi/plugins/python3_plugin.so']).status === 0;
const skip = !HAVE_UWSGI && 'uwsgi-core and uwsgi-plugin-python3 are missing';

const APP_PY = 'import os\n\ndef application(environ, start_response):\n    start_response("200 OK", [("Content-Type", "text/plain")])\n    return [b"hello from uWSGI pid %d\\n" % os.getpid()]\n';

test('a fastrouter with no `master` line, an HTTP router and a subscribed app run as under the uWSGI Emperor', { skip }, async () => {
  await withEmperor([], async (e) => {
    const [http, fast, sub, app] = [await freePort(), await freePort(), await freePort(), await freePort()];
    writeFileSync(join(e.root, 'app.py'), APP_PY);
    // No `master` anywhere: uWSGI runs a master because UWSGI_EMPEROR_FD says it is a vassal.
    e.write('fastrouter.ini', `[uwsgi]\nplugins = corerouter,fastrouter\nfastrouter = 127.0.0.1:${fast}\nfastrouter-subscription-server = 127.0.0.1:${sub}\n`);
    e.write('router.ini', `[uwsgi]\nplugins = corerouter,http\nhttp = 127.0.0.1:${http}\nhttp-to = 127.0.0.1:${fast}\n`);
    e.write('app.ini', `[uwsgi]\nplugins = python3\nchdir = ${e.root}\nmodule = app:application\nsocket = 127.0.0.1:${app}\nsubscribe-to = 127.0.0.1:${sub}:127.0.0.1:${http}\n`);
    const ready = await e.waitState('app', 'RUNNING', 20000);
    assert.equal(ready.status_text !== null && /uWSGI (5|17)/.test(ready.status_text), true, `app status: ${ready.status_text}`);
    const body = await waitFor('a page through router and fastrouter', () => get(http), 20000, 200);
    assert.match(body, /^hello from uWSGI pid \d+\n$/);
    for (const name of ['fastrouter', 'router']) {
      const v = await e.waitState(name, 'RUNNING', 20000);
      assert.equal(v.restarts, 0, `${name} never died (without the protocol it exits at once)`);
    }
    assert.match(e.output, /has_emperor mode detected \(fd: 3\)/);
    // 17 after its first request.
    await e.waitVassal('app', 'to be loyal', (v) => /uWSGI 17/.test(v.status_text ?? ''), 10000);
    // A touch sends 1: the master reloads itself, keeping its pid.
    const before = (await e.vassal('fastrouter'))?.pids[0];
    assert.ok(before !== undefined);
    e.write('fastrouter.ini', `[uwsgi]\nplugins = corerouter,fastrouter\nfastrouter = 127.0.0.1:${fast}\nfastrouter-subscription-server = 127.0.0.1:${sub}\n; touched\n`);
    await waitFor('the fastrouter to reload', () => /fastrouter: .*(received message 1 from emperor|gracefully reloading|binary reloading)/i.test(e.output), 10000);
    const after = await e.waitState('fastrouter', 'RUNNING', 10000);
    assert.equal(after.pids[0], before, 'reloaded in place, same pid');
    // Removing a file stops the vassal with 2: a graceful shutdown, and nothing is left.
    const appPid = (await e.vassal('app'))?.pids[0] ?? 0;
    e.remove('app.ini');
    await waitFor('app to be gone', async () => (await e.vassal('app')) === undefined, 15000);
    assert.ok(!alive(appPid));
    assert.match(e.output, /app: .*received message 2 from emperor/);
  });
});

test('a uWSGI vassal asking to be stopped (die-on-idle sends 22) ends EXITED, not crashed', { skip }, async () => {
  await withEmperor([], async (e) => {
    const port = await freePort();
    writeFileSync(join(e.root, 'app.py'), APP_PY);
    e.write('idle.ini', `[uwsgi]\nplugins = python3\nchdir = ${e.root}\nmodule = app:application\nhttp-socket = 127.0.0.1:${port}\nidle = 2\ndie-on-idle = true\n`);
    await e.waitState('idle', 'RUNNING', 20000);
    const v = await e.waitState('idle', 'EXITED', 20000);
    assert.equal(v.error, null);
    assert.equal(v.restarts, 0);
    assert.match(e.output, /idle\[0\]: .*the vassal asked to be stopped \(uWSGI 22\)/);
  });
});

test('after a first heartbeat (26), a uWSGI vassal silent for --uwsgi-heartbeat-timeout is killed and respawned', { skip }, async () => {
  await withEmperor(['--uwsgi-heartbeat-timeout', '3s'], async (e) => {
    const port = await freePort();
    writeFileSync(join(e.root, 'app.py'), APP_PY);
    e.write('beat.ini', `[uwsgi]\nplugins = python3\nchdir = ${e.root}\nmodule = app:application\nhttp-socket = 127.0.0.1:${port}\nheartbeat = 1\n`);
    const first = await e.waitState('beat', 'RUNNING', 20000);
    const pid = first.pids[0] ?? 0;
    // Let a few heartbeats arrive, then freeze the vassal (its worker sends them): no more 26.
    await waitFor('a heartbeat or two', () => (Date.now() / 1000 - (first.started_at ?? 0) > 2.5 ? true : null), 10000, 100);
    process.kill(-pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    const v = await e.waitVassal('beat', 'to be respawned by its heartbeat watchdog', (x) => x.watchdog_restarts >= 1, 15000);
    const after = (Date.now() - stoppedAt) / 1000;
    // uWSGI beats once a second: the last one came at most 1 s before the freeze.
    assert.ok(after < 3 + 1, `respawned ${after} s after the vassal froze`);
    assert.match(v.error ?? '', /watchdog fired: no heartbeat for 3s; restarted with SIGKILL/);
    await e.waitVassal('beat', 'to run again with a new pid', (x) => x.state === 'RUNNING' && x.pids[0] !== pid, 20000);
  });
});
