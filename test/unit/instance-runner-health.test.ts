// The health monitor an instance runner owns, over fake timers: when it probes, how fast while
// STARTING, and that an answer arriving after a stop is dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitor, STARTING_PROBE_MS } from '../../src/runtime/health-monitor.ts';
import type { ProbeResult } from '../../src/io/health-probe.ts';
import { FakeTime, flush } from './fakes/runtime-time.ts';

function rig(starting: boolean) {
  const time = new FakeTime();
  const asked: number[] = [];
  const reports: ProbeResult[] = [];
  let answer: (r: ProbeResult) => void = () => {};
  const monitor = new HealthMonitor({
    timers: time.timers,
    target: () => 'tcp://127.0.0.1:9',
    timing: () => ({ intervalMs: 5000, timeoutMs: 1000 }),
    probe: () => {
      asked.push(time.now);
      return new Promise((resolve) => (answer = resolve));
    },
    starting: () => starting,
    report: (r) => void reports.push(r),
  });
  return { time, monitor, asked, reports, answer: (r: ProbeResult) => answer(r) };
}

test('the first probe comes 100 ms after the start; the next one an interval after the answer', async () => {
  const r = rig(false);
  r.monitor.start();
  assert.ok(r.monitor.active);
  r.time.advance(100);
  assert.deepEqual(r.asked, [100]);
  r.time.advance(300);
  r.answer({ ok: true, message: 'connected' });
  await flush();
  assert.equal(r.reports.length, 1);
  r.time.advance(4999);
  assert.equal(r.asked.length, 1, 'one probe at a time, an interval after the answer');
  r.time.advance(1);
  assert.deepEqual(r.asked, [100, 5400]);
});

test(`while STARTING it probes at least every ${STARTING_PROBE_MS} ms, so a ready process turns RUNNING promptly`, async () => {
  const r = rig(true);
  r.monitor.start();
  r.time.advance(100);
  r.answer({ ok: false, message: 'ECONNREFUSED' });
  await flush();
  r.time.advance(STARTING_PROBE_MS);
  assert.deepEqual(r.asked, [100, 100 + STARTING_PROBE_MS]);
});

test('an answer in flight when the monitor stops is dropped, and no probe follows', async () => {
  const r = rig(false);
  r.monitor.start();
  r.time.advance(100);
  r.monitor.stop();
  assert.ok(!r.monitor.active);
  r.answer({ ok: false, message: 'late' });
  await flush();
  r.time.advance(60_000);
  assert.deepEqual(r.reports, []);
  assert.equal(r.asked.length, 1);
});
