// signalCgroup sends a stop signal once to the processes in the cgroup at the call: a process that
// appears afterwards (a TERM handler's cleanup child, like a daemon's `rm -f pidfile`) is not signalled.
// Regression (issue 13): it went on in passes until no new pid appeared, killing such cleanup children.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signalCgroup, type SignalIo } from '../../src/io/cgroup-fs.ts';

/** A cgroup whose membership grows by one process each time it is read, as if each signal made a fork. */
function growing(): { io: SignalIo; sent: Array<[number, NodeJS.Signals | number]>; reads: () => number } {
  let members = [101, 102, 103];
  let reads = 0;
  const sent: Array<[number, NodeJS.Signals | number]> = [];
  const io: SignalIo = {
    pids: () => {
      reads++;
      const now = members;
      members = [...members, 200 + reads];
      return now;
    },
    kill: (pid, signal) => void sent.push([pid, signal]),
  };
  return { io, sent, reads: () => reads };
}

test('a stop signal goes to each process present once, and not to what appears afterwards', () => {
  const g = growing();
  assert.equal(signalCgroup('/cg/web@0.1', 'SIGTERM', g.io), true);
  assert.deepEqual(g.sent, [[101, 'SIGTERM'], [102, 'SIGTERM'], [103, 'SIGTERM']]);
  assert.equal(g.reads(), 1, 'one read of the membership');
});

test('a process that exits before its signal does not stop the others from getting theirs', () => {
  const sent: number[] = [];
  const io: SignalIo = {
    pids: () => [1, 2, 3],
    kill: (pid) => {
      if (pid === 2) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
      sent.push(pid);
    },
  };
  assert.equal(signalCgroup('/cg/x', 'SIGHUP', io), true);
  assert.deepEqual(sent, [1, 3]);
});

test('an empty cgroup: nothing signalled, false', () => {
  const io: SignalIo = { pids: () => [], kill: () => assert.fail('no process to signal') };
  assert.equal(signalCgroup('/cg/empty', 'SIGTERM', io), false);
});
