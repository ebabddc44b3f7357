// The alarms runtime over fakes: events in, deliveries out through the transport port, retries on the fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alarms } from '../../src/runtime/alarms.ts';
import { EventLog } from '../../src/runtime/event-log.ts';
import { readAlarmSettings, type AlarmSettings } from '../../src/config/alarm-config.ts';
import type { AlarmTransport, AttemptResult } from '../../src/io/alarm-send.ts';
import { FakeTime } from './fakes/runtime-time.ts';

function settings(text: string): AlarmSettings {
  const r = readAlarmSettings('/etc/emperor.ini', text);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.value;
}

interface Sent {
  how: 'exec' | 'post';
  payload: Record<string, unknown>;
  env?: Record<string, string>;
}

function rig(text: string, postResults: AttemptResult['result'][] = []) {
  const time = new FakeTime();
  const lines: string[] = [];
  const events = new EventLog('text', (l) => lines.push(l));
  const sent: Sent[] = [];
  const transport: AlarmTransport = {
    exec: async (_cmd, line, env) => {
      sent.push({ how: 'exec', payload: JSON.parse(line) as Record<string, unknown>, env });
      return { result: 'sent', detail: '' };
    },
    post: async (_url, body) => {
      sent.push({ how: 'post', payload: JSON.parse(body) as Record<string, unknown> });
      const result = postResults.shift() ?? 'sent';
      return { result, detail: result === 'sent' ? '' : 'HTTP 500' };
    },
    headers: () => ({ authorization: 'Bearer x' }),
  };
  const alarms = new Alarms(settings(text), {
    time,
    transport,
    events,
    alarmsOf: (name) => (name === 'web' ? { names: ['pager'], file: '/v/web.ini', line: 4 } : { names: [], file: '/v/x.ini', line: null }),
    retryMs: 1000,
  });
  alarms.start();
  return { time, events, sent, alarms, lines };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const fatal = (events: EventLog): void => events.write({ level: 'warn', vassal: 'web', instance: 0, state: 'FATAL', from: 'BACKOFF', message: 'gave up' });
const running = (events: EventLog): void => events.write({ level: 'info', vassal: 'web', instance: 0, state: 'RUNNING', from: 'STARTING' });

test('a crash loop within the interval: one alarm, one recovery with the count held back', async () => {
  const { time, events, sent, alarms } = rig('[alarm:pager]\nexec = page\n');
  fatal(events);
  for (let i = 0; i < 3; i++) {
    time.now += 5000;
    events.write({ level: 'info', vassal: 'web', instance: 0, state: 'STARTING', from: 'FATAL' });
    fatal(events);
  }
  time.now += 5000;
  running(events);
  await settle();
  assert.deepEqual(sent.map((s) => `${String(s.payload.kind)} ${String(s.payload.event)} ${String(s.payload.held_back)}`), ['alarm fatal 0', 'recovery fatal 3']);
  assert.equal(sent[0]?.env?.EMPEROR_EVENT_VASSAL, 'web');
  assert.equal(sent[0]?.env?.EMPEROR_EVENT_KIND, 'alarm');
  assert.deepEqual(alarms.totals().map((r) => `${r.event} ${r.result} ${r.count}`).sort(), ['fatal held 3', 'fatal sent 2']);
});

test('a webhook that fails is tried again with doubling waits, each retry counted', async () => {
  const { time, events, sent, alarms } = rig('[alarm:pager]\nwebhook = http://127.0.0.1:9/hook\n', ['failed', 'failed', 'sent']);
  fatal(events);
  await settle();
  assert.equal(sent.length, 1);
  time.advance(999);
  await settle();
  assert.equal(sent.length, 1, 'not before the first wait');
  time.advance(1);
  await settle();
  assert.equal(sent.length, 2);
  time.advance(2000);
  await settle();
  await settle();
  assert.equal(sent.length, 3);
  assert.deepEqual(alarms.totals().map((r) => `${r.result} ${r.count}`).sort(), ['retried 2', 'sent 1']);
});

test('a webhook that keeps failing is given up after its tries, counted and written as an error', async () => {
  const { time, events, alarms, lines } = rig('[alarm:pager]\nwebhook = http://127.0.0.1:9/hook\n', ['failed', 'failed', 'failed', 'failed']);
  fatal(events);
  for (let i = 0; i < 5; i++) {
    await settle();
    time.advance(10_000);
  }
  await settle();
  assert.deepEqual(alarms.totals().map((r) => `${r.result} ${r.count}`).sort(), ['failed 1', 'retried 3']);
  assert.ok(lines.some((l) => /alarm pager \(alarm fatal of web\) not delivered: HTTP 500 \(after 4 tries\) \(E_ALARM_FAILED\)/.test(l)), lines.join(''));
});

test('alarm-events narrows what an alarm gets; [emperor] alarms reach every vassal; an unknown name is located', async () => {
  const { events, sent, lines } = rig('[emperor]\nalarm = all\n[alarm:all]\nexec = a\nalarm-events = invalid\n[alarm:other]\nexec = b\n');
  fatal(events);
  events.write({ level: 'error', vassal: 'db', state: 'INVALID', message: 'db.ini:2: bad' });
  events.write({ level: 'info', vassal: 'web', message: 'found /v/web.ini' });
  await settle();
  assert.deepEqual(sent.map((s) => `${String(s.payload.alarm)} ${String(s.payload.event)} ${String(s.payload.vassal)}`), ['all invalid db']);
  assert.ok(lines.some((l) => l.includes('/v/web.ini:4: `alarm = pager` names no [alarm:pager] section in --config')), lines.join(''));
});

test('bad alarm settings are located errors', () => {
  const errors = (text: string): string[] => {
    const r = readAlarmSettings('/e.ini', text);
    return r.ok ? [] : r.errors;
  };
  assert.match(errors('[alarm:a]\n')[0] ?? '', /^\/e\.ini:1: \[alarm:a\] needs exactly one of `exec/);
  assert.match(errors('[alarm:a]\nexec = x\nwebhook = http://h/\n')[0] ?? '', /^\/e\.ini:1: .*exactly one/);
  assert.match(errors('[alarm:a]\nwebhook = ftp://h/\n')[0] ?? '', /^\/e\.ini:2: `webhook` must be an http/);
  assert.match(errors('[emperor]\nalarm-flapping = 5 per 60s\n')[0] ?? '', /^\/e\.ini:2: `alarm-flapping` must be `N in DURATION`/);
  assert.match(errors('[emperor]\nalarm-interval = soon\n')[0] ?? '', /^\/e\.ini:2: `alarm-interval`/);
  assert.match(errors('[emperor]\nalarm-timeout = 0\n')[0] ?? '', /^\/e\.ini:2: `alarm-timeout`: must be more than 0/);
  assert.match(errors('[emperor]\nalarm = nope\n[alarm:nop]\nexec = x\n')[0] ?? '', /^\/e\.ini:2: `alarm = nope` names no \[alarm:nope\].*did you mean `nop`/);
  assert.match(errors('[alarm:a]\nexec = x\nalarm-events = fatal crash\n')[0] ?? '', /^\/e\.ini:3: `alarm-events`: unknown event `crash`/);
  assert.deepEqual(settings('[emperor]\nalarm-flapping = 5 in 60s\n').policy, { intervalMs: 60_000, flapping: { count: 5, windowMs: 60_000 } });
});

test('an INVALID file reported line by line is one condition, not one held back per line', async () => {
  const { events, sent, alarms } = rig('[emperor]\nalarm = all\n[alarm:all]\nexec = a\n');
  for (const line of ['db.ini:2: bad', 'db.ini:3: worse', 'db.ini:4: worst']) events.write({ level: 'error', vassal: 'db', state: 'INVALID', message: line });
  events.write({ level: 'info', vassal: 'db', message: 'file changed (restart): /v/db.ini' });
  await settle();
  assert.deepEqual(sent.map((s) => `${String(s.payload.kind)} ${String(s.payload.held_back)} ${String(s.payload.message)}`), ['alarm 0 db.ini:2: bad', 'recovery 0 file changed (restart): /v/db.ini']);
  assert.deepEqual(alarms.totals().map((r) => `${r.result} ${r.count}`), ['sent 2']);
});

test('the README worked examples of Alarms and scheduled jobs parse as written', async () => {
  const { readFileSync } = await import('node:fs');
  const { parseVassalFile, formatProblem } = await import('../../src/config/parse-file.ts');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Alarms and scheduled jobs'), readme.indexOf('## Development'));
  const blocks = [...section.matchAll(/```ini\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  assert.equal(blocks.length, 3);
  const config = settings(blocks[0] ?? '');
  assert.deepEqual([...config.targets.keys()], ['ops', 'chat']);
  assert.deepEqual(config.policy, { intervalMs: 300_000, flapping: { count: 5, windowMs: 60_000 } });
  for (const [name, text] of [['web', blocks[1]], ['nightly-backup', blocks[2]]] as const) {
    const r = parseVassalFile(`/etc/emperor/vassals/${name}.ini`, text ?? '', {});
    assert.deepEqual(r.problems.map(formatProblem), [], name);
    for (const a of r.vassals[0]?.alarm ?? []) assert.ok(config.targets.has(a), `${name}: alarm = ${a}`);
  }
});
