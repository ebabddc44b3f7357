// bench/log-sched.ts reads the scheduler's events from `perf script`: its parser, on lines as perf prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedLine } from '../../bench/lib/sched-events.ts';

test('a switch: who went out, in what state, who came in', () => {
  const line = '            head 19755 [001] 31330.807737:       sched:sched_switch: prev_comm=head prev_pid=19755 prev_prio=120 prev_state=R+ ==> next_comm=yes next_pid=19754 next_prio=120';
  assert.deepEqual(parseSchedLine(line), { comm: 'head', pid: 19755, cpu: 1, t: 31330.807737, kind: 'switch', prevComm: 'head', prevPid: 19755, prevState: 'R+', nextComm: 'yes' });
});

test('a wake-up: the task woken and its target CPU; the waker is the line\'s task', () => {
  const line = '            head 19755 [001] 31330.807680:       sched:sched_wakeup: comm=yes pid=19754 prio=120 target_cpu=000';
  assert.deepEqual(parseSchedLine(line), { comm: 'head', pid: 19755, cpu: 1, t: 31330.807680, kind: 'wakeup', woken: 'yes', wokenPid: 19754, targetCpu: 0 });
});

test('commands with colons and spaces in their names', () => {
  const line = ' memfd:sealed-91 10065 [000] 31328.337908:       sched:sched_switch: prev_comm=memfd:sealed-91 prev_pid=10065 prev_prio=120 prev_state=S ==> next_comm=Web Content next_pid=19679 next_prio=120';
  const e = parseSchedLine(line);
  assert.equal(e?.comm, 'memfd:sealed-91');
  assert.equal(e?.prevState, 'S');
  assert.equal(e?.nextComm, 'Web Content');
});

test('other lines are not events', () => {
  assert.equal(parseSchedLine(''), null);
  assert.equal(parseSchedLine('            head 19755 [001] 31330.807680:       syscalls:sys_enter_write: fd: 0x00000001'), null);
});
