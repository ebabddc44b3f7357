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
    const first = sampler.sample([pgid], 0).get(pgid);
    assert.ok(first !== undefined && first.members >= 1, 'this process is found');
    const statusRss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
    assert.ok(first.rssBytes >= statusRss * 0.5 && first.rssBytes < 64 * 1024 ** 3, `rss ${first.rssBytes} against VmRSS ${statusRss}`);
    assert.equal(first.cpuPercent, null, 'no CPU percent on a first sample');
    const end = Date.now() + 300;
    while (Date.now() < end) Math.sqrt(Math.random()); // burn 300 ms of CPU
    const second = sampler.sample([pgid], 300).get(pgid);
    assert.ok(second !== undefined && second.cpuPercent !== null && second.cpuPercent > 30, `cpu ${second?.cpuPercent}`);
    assert.ok(second.cpuSecondsDelta > 0.1 && second.cpuSecondsDelta < 5, `delta ${second.cpuSecondsDelta}`);
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
    await new Promise((r) => setTimeout(r, 300));
    const u = sampler.sample([pid], Date.now()).get(pid);
    assert.ok(u !== undefined && (u.cpuPercent ?? 0) > 30, `the burning grandchild is counted: ${u?.cpuPercent}`);
  } finally {
    sampler.close();
    process.kill(-pid, 'SIGKILL');
  }
});
