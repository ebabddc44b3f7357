// One instance's readiness link with fakes: early events wait for the runner, uWSGI bytes, protocol stop and reload, ready lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LifecycleEvent } from '../../src/core/lifecycle.ts';
import type { EmperorPipe, ReadinessPort } from '../../src/runtime/emperor-ports.ts';
import { InstanceReadiness, listenReadiness } from '../../src/runtime/readiness-link.ts';
import type { Supervised } from '../../src/runtime/supervised.ts';

function fakeSup(pid: number): Supervised & { signals: string[]; mains: string[]; exit(): void } {
  const exits: Array<(c: number | null, s: string | null) => void> = [];
  const sup = {
    pid,
    guarded: true,
    signals: [] as string[],
    mains: [] as string[],
    signal: (s: string) => void sup.signals.push(s),
    signalMain: (s: string) => (sup.mains.push(s), true),
    alive: () => true,
    onExit: (f: (c: number | null, s: string | null) => void) => void exits.push(f),
    exit: () => exits.forEach((f) => f(0, null)),
  };
  return sup;
}

type Handler = (m: string, pid: number) => void;

/** A receiver whose handlers the test calls itself, as datagrams would. */
function fakeReceiver(): { receiver: ReadinessPort; handlers: Map<number, Handler> } {
  const handlers = new Map<number, Handler>();
  const fake = { watch: (p: number, h: Handler) => void handlers.set(p, h), unwatch: (p: number) => void handlers.delete(p) };
  // Only watch and unwatch are used by a link.
  return { receiver: fake as unknown as ReadinessPort, handlers };
}

function fakeChannel(): EmperorPipe & { sent: number[]; closed: boolean; open: boolean } {
  const ch = { sent: [] as number[], closed: false, open: true, handedOver() {}, send: (b: number) => ch.open && (ch.sent.push(b), true), close: () => void (ch.closed = true) };
  return ch as unknown as EmperorPipe & { sent: number[]; closed: boolean; open: boolean };
}

const SIGNALS = { stop: 'SIGINT', reload: 'SIGHUP' };

test('sd_notify: messages before the runner listens wait for it, and come after the spawn it is handling', async () => {
  const { receiver, handlers } = fakeReceiver();
  const notes: string[] = [];
  const link = new InstanceReadiness((_l, m) => notes.push(m), receiver, null, null, SIGNALS);
  link.spawned(100);
  handlers.get(100)?.('READY=1\nSTATUS=up\nSTOPPING=1', 100);
  const sup = link.wrap(fakeSup(100));
  const got: LifecycleEvent[] = [];
  listenReadiness(sup, (ev) => got.push(ev));
  assert.deepEqual(got, [], 'not within the runner\'s own step');
  await Promise.resolve();
  assert.deepEqual(got, [{ type: 'ready', how: 'READY=1' }, { type: 'status', text: 'up' }]);
  assert.deepEqual(notes, ['stopping (STOPPING=1)']);
  handlers.get(100)?.('WATCHDOG=1', 100);
  assert.deepEqual(got.at(-1), { type: 'watchdog-ping' });
});

test('the process exits: the link stops listening and closes its pipe', () => {
  const { receiver, handlers } = fakeReceiver();
  const channel = fakeChannel();
  const link = new InstanceReadiness(() => {}, receiver, channel, null, SIGNALS);
  link.spawned(7);
  const raw = fakeSup(7);
  link.wrap(raw);
  raw.exit();
  assert.equal(handlers.has(7), false);
  assert.equal(channel.closed, true);
});

test('uWSGI: bytes become status, readiness, pings and a stop request; stop and reload go over the pipe', () => {
  const channel = fakeChannel();
  const notes: Array<[string, string]> = [];
  const link = new InstanceReadiness((l, m) => notes.push([l, m]), null, channel, null, SIGNALS);
  link.spawned(9);
  const raw = fakeSup(9);
  const sup = link.wrap(raw);
  const got: LifecycleEvent[] = [];
  listenReadiness(sup, (ev) => got.push(ev));
  for (const b of [1, 5, 17, 26, 22, 30]) link.onByte(b);
  assert.deepEqual(got, [
    { type: 'status', text: 'master up (uWSGI 1)' },
    { type: 'status', text: 'accepting requests (uWSGI 5)' },
    { type: 'ready', how: 'uWSGI 5: accepting requests' },
    { type: 'status', text: 'loyal: served its first request (uWSGI 17)' },
    { type: 'watchdog-ping' },
    { type: 'stop-requested', why: 'the vassal asked to be stopped (uWSGI 22)' },
  ]);
  assert.deepEqual(notes.map(([l]) => l), ['info', 'warn']);
  sup.signal('SIGINT');
  sup.signal('SIGKILL');
  assert.equal(sup.signalMain('SIGHUP'), true);
  assert.deepEqual(channel.sent, [2, 1]);
  assert.deepEqual(raw.signals, ['SIGKILL'], 'SIGKILL still goes to the group');
  assert.deepEqual(raw.mains, []);
  // The pipe is gone (the vassal closed it): signals again.
  channel.open = false;
  sup.signal('SIGINT');
  assert.deepEqual(raw.signals, ['SIGKILL', 'SIGINT']);
});

test('ready-log-line: the first matching line makes it ready, once', () => {
  const link = new InstanceReadiness(() => {}, null, null, /^listening on \d+$/, SIGNALS);
  link.spawned(3);
  const sup = link.wrap(fakeSup(3));
  const got: LifecycleEvent[] = [];
  listenReadiness(sup, (ev) => got.push(ev));
  link.onLines('booting\nloading');
  link.onLines('x\nlistening on 80\nlistening on 81');
  link.onLines('listening on 82');
  assert.deepEqual(got, [{ type: 'ready', how: 'a ready log line: listening on 80' }]);
});
