// The sampler reads this test's own process: its numbers must be the ones /proc reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Sampler } from '../../src/io/sampler.ts';

test('the sampler reads RSS and CPU of a process tree from /proc/PID/stat', () => {
  const sampler = new Sampler();
  // Keyed by this process: the tree below it is what is summed.
  const pgid = process.pid;
  try {
    const t0 = Date.now();
    const first = sampler.sample([pgid], t0).get(pgid);
    assert.ok(first !== undefined && first.members >= 1, 'this process is found');
    const statusRss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
    assert.ok(first.rssBytes >= statusRss * 0.5 && first.rssBytes < 64 * 1024 ** 3, `rss ${first.rssBytes} against VmRSS ${statusRss}`);
    assert.equal(first.cpuPercent, null, 'no CPU percent on a first sample');
    // Burn 300 ms of this process's CPU (measured, not wall time: the machine may be busy).
    const start = process.cpuUsage();
    const used = (): number => {
      const u = process.cpuUsage(start);
      return (u.user + u.system) / 1e6;
    };
    for (const deadline = Date.now() + 20000; used() < 0.3 && Date.now() < deadline; ) Math.sqrt(Math.random());
    const burnt = used();
    const t1 = Date.now();
    const second = sampler.sample([pgid], t1).get(pgid);
    assert.ok(second !== undefined && second.cpuPercent !== null, 'a CPU percent on the second sample');
    // The tree's CPU includes what this process burnt (other threads may add a little).
    assert.ok(second.cpuSecondsDelta >= burnt - 0.05 && second.cpuSecondsDelta < burnt + 2, `delta ${second.cpuSecondsDelta} against ${burnt} burnt`);
    const expected = (second.cpuSecondsDelta / ((t1 - t0) / 1000)) * 100;
    assert.ok(Math.abs(second.cpuPercent - expected) < 5, `cpu ${second.cpuPercent}% against ${expected.toFixed(1)}%`);
  } finally {
    sampler.close();
  }
});

test('grandchildren count: a tree two levels deep is found on the first sample', async () => {
  const { spawn } = await import('node:child_process');
  // sh -> sh -> sh running a CPU-burning loop
  const child = spawn('sh', ['-c', 'sh -c \'sh -c "while :; do :; done" & wait\' & wait'], { detached: true, stdio: 'ignore' });
  const pid = child.pid ?? 0;
  const sampler = new Sampler();
  try {
    let found = 0;
    for (const deadline = Date.now() + 5000; Date.now() < deadline && found < 3; ) {
      found = sampler.sample([pid], Date.now()).get(pid)?.members ?? 0;
      if (found < 3) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(found, 3, 'the shell, its child and its grandchild');
    // The burning grandchild's CPU shows (how much depends on what else the machine runs).
    let u = sampler.sample([pid], Date.now()).get(pid);
    for (const deadline = Date.now() + 10000; Date.now() < deadline && (u?.cpuPercent ?? 0) <= 10; ) {
      await new Promise((r) => setTimeout(r, 300));
      u = sampler.sample([pid], Date.now()).get(pid);
    }
    assert.ok(u !== undefined && (u.cpuPercent ?? 0) > 10, `the burning grandchild is counted: ${u?.cpuPercent}`);
  } finally {
    sampler.close();
    process.kill(-pid, 'SIGKILL');
  }
});

test('an idle group is read less often (left out of the answer), a busy one every time; without backoff every time', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const pid = child.pid ?? 0;
  const sampler = new Sampler();
  const plain = new Sampler(6, false);
  try {
    // Wait for the exec to be done (its ticks settle): two reads in a row with no CPU.
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      const a = plain.sample([pid], Date.now()).get(pid);
      if (a !== undefined && a.cpuSecondsDelta === 0 && a.members === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const answered: boolean[] = [];
    for (let i = 0; i < 12; i++) answered.push(sampler.sample([pid], Date.now() + i).has(pid));
    // fresh, idle (then 1 out), read, idle (3 out), read, 5 out...
    assert.deepEqual(answered, [true, true, false, true, false, false, false, true, false, false, false, false]);
    for (let i = 0; i < 5; i++) assert.ok(plain.sample([pid], Date.now()).has(pid), 'without backoff every sample answers');
  } finally {
    sampler.close();
    plain.close();
    process.kill(pid, 'SIGKILL');
  }
});
