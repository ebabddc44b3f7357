// Alarms against real processes: an alarm command fed by a crash-looping vassal, a webhook to a loopback receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPEROR_BIN, EmperorUnderTest, FIXTURES, alive, vassalFile, waitFor, withEmperor } from './harness.ts';
import { freePort, scrape, valueOf } from './prom.ts';

const crashing = (n: number): string =>
  vassalFile({ command: "/bin/sh -c 'exit 3'", env: `TRY=${n}`, 'start-secs': '300ms', 'start-retries': 2, backoff: '50ms', alarm: 'pager' });

const received = (file: string): Array<Record<string, unknown>> =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) : [];

test('alarms: a crash loop sends the command exactly one FATAL alarm within the interval, then one recovery', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-alarm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'alarms.jsonl');
  const config = join(dir, 'emperor.ini');
  // The command reads the one JSON line from stdin and checks a variable against it.
  writeFileSync(config, `[emperor]\nalarm-interval = 10m\n\n[alarm:pager]\nexec = read -r line; [ "$EMPEROR_EVENT_VASSAL" = job ] && printf '%s\\n' "$line" >> ${out}\n`);
  await withEmperor(['--config', config], async (e) => {
    e.write('job.ini', crashing(1));
    await e.waitState('job', 'FATAL');
    await waitFor('the FATAL alarm', () => received(out).length === 1 || null);
    for (let n = 2; n <= 3; n++) {
      e.write('job.ini', crashing(n));
      await waitFor(`FATAL again (${n})`, () => (e.output.match(/job\[0\]: WARN FATAL/g) ?? []).length >= n || null, 15000);
    }
    e.write('job.ini', vassalFile({ command: 'sleep 60', 'start-secs': '300ms', alarm: 'pager' }));
    await e.waitState('job', 'RUNNING');
    await waitFor('the recovery', () => received(out).length === 2 || null);
    const [alarm, recovery] = received(out);
    assert.equal(alarm?.kind, 'alarm');
    assert.equal(alarm?.event, 'fatal');
    assert.equal(alarm?.vassal, 'job');
    assert.equal(alarm?.held_back, 0);
    assert.equal(recovery?.kind, 'recovery');
    assert.equal(recovery?.event, 'fatal');
    assert.equal(recovery?.held_back, 2, "the two FATALs held back are counted");
    assert.equal(received(out).length, 2, "nothing more");
    assert.match(e.output, /job\[0\]: .*FATAL/);
  });
});

test('alarms: a webhook to a loopback receiver that fails twice is retried, delivered and counted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-alarm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bodies: Array<{ body: string; auth: string | undefined }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push({ body, auth: req.headers.authorization });
      res.statusCode = bodies.length <= 2 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  writeFileSync(join(dir, 'token'), 'Authorization: Bearer s3cret\n');
  const config = join(dir, 'emperor.ini');
  writeFileSync(config, `[emperor]\nalarm = hook\n\n[alarm:hook]\nwebhook = http://127.0.0.1:${port}/alarm\nwebhook-header-file = ${join(dir, 'token')}\nalarm-events = invalid\n`);
  const metrics = await freePort();
  await withEmperor(['--config', config, '--metrics', `127.0.0.1:${metrics}`], async (e) => {
    e.write('bad.ini', '[vassal]\ncommand = x\nrestart = sometimes\n');
    await e.waitState('bad', 'INVALID');
    await waitFor('three tries, the third accepted', () => bodies.length === 3 || null, 15000);
    const payload = JSON.parse(bodies[2]?.body ?? '{}') as Record<string, unknown>;
    assert.equal(payload.event, 'invalid');
    assert.equal(payload.vassal, 'bad');
    assert.equal(bodies[2]?.auth, 'Bearer s3cret');
    const exp = await waitFor('the counts', async () => {
      const s = await scrape(metrics);
      return valueOf(s, 'emperor_alarms_total', { alarm: 'hook', event: 'invalid', result: 'sent' }) === 1 ? s : null;
    });
    assert.equal(valueOf(exp, 'emperor_alarms_total', { alarm: 'hook', event: 'invalid', result: 'retried' }), 2);
  });
});

test('alarms: an alarm command that hangs is killed after alarm-timeout, counted, and supervision goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-alarm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'alarm.pid');
  const config = join(dir, 'emperor.ini');
  writeFileSync(config, `[emperor]\nalarm = stuck\n\n[alarm:stuck]\nexec = echo $$ > ${pidFile}; exec sleep 60\nalarm-timeout = 500ms\n`);
  const metrics = await freePort();
  await withEmperor(['--config', config, '--metrics', `127.0.0.1:${metrics}`], async (e) => {
    e.write('job.ini', vassalFile({ command: "/bin/sh -c 'exit 3'", 'start-secs': '300ms', 'start-retries': 1 }));
    await e.waitState('job', 'FATAL');
    e.write('web.ini', vassalFile({ command: 'sleep 60' }));
    await e.waitState('web', 'RUNNING', 3000);
    await waitFor('the timeout counted', async () => valueOf(await scrape(metrics), 'emperor_alarms_total', { alarm: 'stuck', event: 'fatal', result: 'timeout' }) === 1 || null);
    assert.match(e.output, /alarm stuck \(alarm fatal of job\) not delivered: killed after 0\.5s \(alarm-timeout\) \(E_ALARM_FAILED\)/);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    await waitFor('the alarm command gone', () => {
      try {
        process.kill(pid, 0);
        return null;
      } catch {
        return true;
      }
    });
  });
});

test('alarms: an alarm command still running when the emperor stops is killed with it, not left behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-alarm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'alarm.pid');
  const config = join(dir, 'emperor.ini');
  writeFileSync(config, `[emperor]\nalarm = slow\n\n[alarm:slow]\nexec = echo $$ > ${pidFile}; exec sleep 4261.7\nalarm-timeout = 60s\n`);
  let pid = 0;
  await withEmperor(['--config', config], async (e) => {
    e.write('job.ini', vassalFile({ command: "/bin/sh -c 'exit 3'", 'start-secs': '300ms', 'start-retries': 1 }));
    await e.waitState('job', 'FATAL');
    await waitFor('the alarm command running', () => {
      const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
      return text === '' ? null : (pid = Number(text));
    });
  });
  await waitFor('the alarm command gone with the emperor', () => !alive(pid) || null, 5000).finally(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  });
});

test('alarms: SIGKILL of the emperor while an alarm command runs: the guardian kills the command too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-alarm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'alarm.pid');
  const config = join(dir, 'emperor.ini');
  writeFileSync(config, `[emperor]\nalarm = slow\n\n[alarm:slow]\nexec = echo $$ > ${pidFile}; exec sleep 4261.8\nalarm-timeout = 60s\n`);
  const e = await new EmperorUnderTest(['--config', config]).start();
  let pid = 0;
  try {
    e.write('job.ini', vassalFile({ command: "/bin/sh -c 'exit 3'", 'start-secs': '300ms', 'start-retries': 1 }));
    await e.waitState('job', 'FATAL');
    pid = await waitFor('the alarm command running', () => {
      const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
      return text === '' ? null : Number(text);
    });
    process.kill(e.pid, 'SIGKILL');
    await e.waitExit();
    // No exit hook runs after a SIGKILL: only the guardian, whose pipe from the emperor just closed, is left to end it.
    await waitFor('the alarm command gone after the SIGKILL', () => !alive(pid) || null, 5000);
  } finally {
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('emperor check --config: the alarm sections, each vassal\'s alarm names and schedule keys, all located', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-alarm-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'vassals'));
  const config = join(dir, 'etc', 'emperor.ini');
  writeFileSync(config, '[emperor]\nalarm-flapping = often\n\n[alarm:ops]\nexec = true\n\n[alarm:hook]\nwebhook = ftp://x/\n');
  writeFileSync(join(dir, 'vassals', 'job.ini'), '[vassal]\ncommand = x\nalarm = ops\nschedule = 99 * * * *\noverlap = later\n');
  writeFileSync(join(dir, 'vassals', 'web.ini'), '[vassal]\ncommand = x\nalarm = opz\n');
  const r = spawnSync(process.execPath, [EMPEROR_BIN, 'check', '--config', config, join(dir, 'vassals')], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /emperor\.ini:2: `alarm-flapping` must be `N in DURATION`/);
  assert.match(lines[1] ?? '', /emperor\.ini:8: `webhook` must be an http:\/\/ or https:\/\/ URL/);
  assert.ok(lines.some((l) => /web\.ini:3: `alarm = opz` names no \[alarm:opz\] section in --config/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /job\.ini:4: `schedule`: not a cron expression/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /job\.ini:5: `overlap`: expected `skip`, `queue` or `kill`/.test(l)), r.stdout);
  assert.match(r.stderr, /5 errors/);
});

test('alarms: a failing health check sends one health alarm, and one recovery when it passes again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-alarm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'alarms.jsonl');
  const failFile = join(dir, 'fail');
  const config = join(dir, 'emperor.ini');
  writeFileSync(config, `[emperor]\nalarm = log\n\n[alarm:log]\nexec = cat >> ${out}\nalarm-events = health\n`);
  await withEmperor(['--config', config], async (e) => {
    const port = await freePort();
    e.write('api.ini', vassalFile({
      command: `${process.execPath} ${join(FIXTURES, 'health-server.mjs')}`,
      env: [`PORT=${port}`, `FAIL_FILE=${failFile}`],
      'health-check': `http://127.0.0.1:${port}/health`,
      'health-interval': '200ms',
      'health-retries': 1000,
      'start-secs': '200ms',
    }));
    await e.waitVassal('api', 'passing', (v) => v.state === 'RUNNING' && v.health === 'passing');
    writeFileSync(failFile, '');
    await waitFor('the health alarm', () => received(out).length === 1 || null);
    await e.waitVassal('api', 'failing a few times', (v) => v.health === 'failing');
    rmSync(failFile);
    await waitFor('the recovery', () => received(out).length === 2 || null);
    const [alarm, recovery] = received(out);
    assert.equal(`${String(alarm?.kind)} ${String(alarm?.event)}`, 'alarm health');
    assert.match(String(alarm?.message), /^health check failed \(1 of 1000\)/);
    assert.equal(`${String(recovery?.kind)} ${String(recovery?.event)}`, 'recovery health');
    assert.ok(Number(recovery?.held_back) >= 0);
  });
});
