// [eventlistener:x] under emperor: a listener built on supervisor.childutils gets supervisord's events, as supervisord sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmperorUnderTest, FIXTURES, alive, waitFor, withEmperor } from './harness.ts';
import { haveSupervisor } from './supervisor-kit.ts';

const skip = haveSupervisor ? false : 'Debian supervisor package not installed (.ci/run installs it)';
const LISTENER = join(FIXTURES, 'sd-listener.py');

interface Received {
  headers: Record<string, string>;
  payload: string;
  fields: Record<string, string>;
}

function received(path: string): Received[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Received);
}

test('a childutils listener receives a crash as supervisord sends it: EXITED expected:0, STARTING, RUNNING', { skip, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-listener-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'events.jsonl');
  await withEmperor([], async (e) => {
    e.write('app.conf', [
      '[program:crashy]',
      "command = /bin/sh -c 'sleep 1.5; exit 3'",
      'startsecs = 1',
      'autorestart = true',
      '',
      '[eventlistener:watch]',
      `command = /usr/bin/python3 ${LISTENER} ${out}`,
      'events = PROCESS_STATE',
      '',
    ].join('\n'));
    const events = await waitFor('a crash and the restart after it', () => {
      const got = received(out);
      const exited = got.findIndex((r) => r.headers.eventname === 'PROCESS_STATE_EXITED');
      return exited >= 0 && got.length >= exited + 3 ? got : null;
    }, 20_000);
    const exited = events.findIndex((r) => r.headers.eventname === 'PROCESS_STATE_EXITED');
    const [crash, starting, running] = events.slice(exited, exited + 3) as [Received, Received, Received];
    assert.deepEqual(events.slice(0, 2).map((r) => [r.headers.eventname, r.fields.from_state]), [['PROCESS_STATE_STARTING', 'STOPPED'], ['PROCESS_STATE_RUNNING', 'STARTING']]);
    assert.deepEqual(Object.keys(crash.headers), ['ver', 'server', 'serial', 'pool', 'poolserial', 'eventname', 'len']);
    assert.equal(crash.headers.ver, '3.0');
    assert.equal(crash.headers.server, 'supervisor');
    assert.equal(crash.headers.pool, 'watch');
    assert.equal(Number(crash.headers.len), Buffer.byteLength(crash.payload));
    assert.match(crash.payload, /^processname:crashy groupname:crashy from_state:RUNNING expected:0 pid:\d+$/);
    assert.equal(starting.headers.eventname, 'PROCESS_STATE_STARTING');
    assert.equal(starting.payload, 'processname:crashy groupname:crashy from_state:EXITED tries:0');
    assert.equal(running.headers.eventname, 'PROCESS_STATE_RUNNING');
    assert.match(running.payload, /^processname:crashy groupname:crashy from_state:STARTING pid:(\d+)$/);
    assert.notEqual(running.fields.pid, crash.fields.pid);
    // Serials count up across the whole stream, pool serials within the pool.
    const serials = events.map((r) => Number(r.headers.serial));
    assert.deepEqual(serials, serials.map((_, i) => serials[0]! + i));
    assert.deepEqual(events.map((r) => Number(r.headers.poolserial)), events.map((_, i) => i));
  });
});

test('a listener that dies is started again and gets the events after; output events and ticks reach subscribers', { skip, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-listener-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'events.jsonl');
  await withEmperor([], async (e) => {
    e.write('talker.conf', "[program:talker]\ncommand = /bin/sh -c 'while true; do echo said-$$; sleep 0.3; done'\nstartsecs = 0\nstdout_events_enabled = true\n");
    await e.waitState('talker', 'RUNNING');
    e.write('listen.conf', `[eventlistener:ears]\ncommand = /usr/bin/python3 ${LISTENER} ${out}\nevents = PROCESS_LOG_STDOUT,TICK_5\nbuffer_size = 50\n`);
    const first = await waitFor('an output event', () => received(out).find((r) => r.headers.eventname === 'PROCESS_LOG_STDOUT'), 15_000);
    assert.match(first.payload, /^processname:talker groupname:talker pid:\d+ channel:stdout\nsaid-\d+\n/);
    // A file of listeners only defines no vassal.
    assert.deepEqual((await e.stats()).vassals.map((v) => v.name), ['talker']);
    const listenerPid = await waitFor('the listener pid', () => /eventlistener:ears: ears: listener started, pid (\d+)/.exec(e.output)?.[1]);
    process.kill(Number(listenerPid), 'SIGKILL');
    await waitFor('the listener to be started again', () => (e.output.match(/listener started, pid/g)?.length ?? 0) >= 2, 10_000);
    const before = received(out).length;
    await waitFor('events to the new listener', () => received(out).length > before + 1, 10_000);
    await waitFor('a TICK_5', () => received(out).find((r) => r.headers.eventname === 'TICK_5' && /^when:\d+$/.test(r.payload)), 15_000);
    // Removing the file stops its listener.
    e.remove('listen.conf');
    const pid = Number(/listener started, pid (\d+)/g.exec(e.output.slice(e.output.lastIndexOf('listener started')))?.[1]);
    await waitFor('the listener to stop', () => !alive(pid), 10_000);
  });
});

// A listener is started like a vassal but held by no cgroup: the guardian is told of its process group.
test('listeners and the emperor\'s end: SIGTERM stops each with its stop signal (SIGKILL after stopwaitsecs) before the emperor exits (a second SIGINT kills them at once); after a SIGKILL of the emperor the guardian kills them', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-listener-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A plain process as the listener: it never says READY, which is enough to be started, stopped and killed.
  const listener = (tag: string): string =>
    `[eventlistener:${tag}]\ncommand = /bin/sh -c 'echo $$ > ${dir}/${tag}.pid; trap "sleep 0.5; echo TERM > ${dir}/${tag}.term; exit 0" TERM; while :; do sleep 0.2; done'\nevents = PROCESS_STATE\n`;
  const pidOf = (tag: string): number | null => {
    const file = join(dir, `${tag}.pid`);
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return text === '' ? null : Number(text);
  };
  const first = await new EmperorUnderTest().start();
  let pid = 0;
  let deaf = 0;
  try {
    first.write('ears.conf', listener('clean'));
    // One that ignores its stop signal (its whole group does): SIGKILL after stopwaitsecs.
    first.write('deaf.conf', `[eventlistener:deaf]\ncommand = /bin/sh -c 'echo $$ > ${dir}/deaf.pid; trap "" TERM; while :; do sleep 0.2; done'\nevents = PROCESS_STATE\nstopwaitsecs = 1\n`);
    pid = await waitFor('the listener running', () => pidOf('clean'), 15_000);
    deaf = await waitFor('the deaf listener running', () => pidOf('deaf'), 15_000);
    await first.stop('SIGTERM');
    // The emperor exits once its listeners have: the deaf one was killed after its stopwaitsecs, not left behind.
    assert.ok(!alive(deaf), 'the listener that ignores SIGTERM outlived the emperor');
    assert.ok(!alive(pid), 'the listener outlived the emperor');
    // Its stop signal, not the guardian's SIGKILL at the emperor's end: the trap ran to its end (half a second).
    assert.ok(existsSync(join(dir, 'clean.term')), 'the listener did not end through its SIGTERM trap');
  } finally {
    for (const p of [pid, deaf]) if (p > 0 && alive(p)) process.kill(p, 'SIGKILL');
    assert.deepEqual(await first.cleanup(), []);
  }
  // A second SIGINT while the emperor waits for a listener that ignores its stop signal: killed at once.
  const third = await new EmperorUnderTest().start();
  pid = 0;
  try {
    third.write('deaf.conf', `[eventlistener:deaf]\ncommand = /bin/sh -c 'echo $$ > ${dir}/deaf2.pid; trap "" TERM; while :; do sleep 0.2; done'\nevents = PROCESS_STATE\nstopwaitsecs = 60\n`);
    pid = await waitFor('the deaf listener running', () => pidOf('deaf2'), 15_000);
    process.kill(third.pid, 'SIGINT');
    await waitFor('the first SIGINT to be taken', () => third.output.includes('SIGINT: stopping') || null);
    process.kill(third.pid, 'SIGINT');
    await third.waitExit(5000);
    await waitFor('the deaf listener gone after the second SIGINT', () => !alive(pid) || null, 3000);
  } finally {
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    assert.deepEqual(await third.cleanup(), []);
  }
  const second = await new EmperorUnderTest().start();
  pid = 0;
  try {
    second.write('ears.conf', listener('killed'));
    pid = await waitFor('the listener running', () => pidOf('killed'), 15_000);
    process.kill(second.pid, 'SIGKILL');
    await second.waitExit();
    await waitFor('the listener gone after the SIGKILL', () => !alive(pid) || null, 5000);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    assert.deepEqual(await second.cleanup(), []);
  }
});

test('a root emperor runs no listener from a file someone else could change', { skip: skip || (process.getuid?.() !== 0 ? 'needs root' : false), timeout: 30_000 }, async (t) => {
  const { testUsers } = await import('./test-users.ts');
  const { a } = testUsers();
  const dir = mkdtempSync(join(tmpdir(), 'emperor-listener-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'events.jsonl');
  await withEmperor([], async (e) => {
    e.write('theirs.conf', `[eventlistener:theirs]\ncommand = /usr/bin/python3 ${LISTENER} ${out}\nevents = TICK_5\n`, { uid: a.uid, gid: a.gid, mode: 0o644 });
    await waitFor('the refusal', () => /theirs\.conf: its event listeners are not run: the file is owned by uid \d+.*chown root/.test(e.output), 10_000);
    assert.doesNotMatch(e.output, /listener started/);
  });
});
