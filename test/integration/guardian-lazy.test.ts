// The process-group guardian runs only once a group needs guarding: an emperor whose vassals are all in
// cgroups never starts its shell. Once started it still kills what it was told of when its pipe closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Guardian } from '../../src/io/guardian.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Read through a function: an assertion on g.pid would narrow it for the rest of the test.
const pidOf = (g: Guardian): number | null => g.pid;

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the guardian starts at the first group tracked, with every group recorded, and kills them when its pipe closes', async () => {
  const problems: string[] = [];
  const g = new Guardian((m) => problems.push(m));
  g.start();
  assert.equal(g.pid, null, 'no group yet: no process');
  const sleeper = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const pgid = sleeper.pid as number;
  try {
    g.track(pgid);
    const guardianPid = pidOf(g);
    assert.ok(guardianPid !== null, 'started by the first group');
    // A closed pipe (as when the emperor dies) makes the guardian kill what it holds.
    await new Promise((r) => setTimeout(r, 200));
    g.close();
    await until('the tracked group to be killed', () => !alive(pgid) || sleeper.exitCode !== null || sleeper.signalCode !== null);
    await until('the guardian to exit', () => !alive(guardianPid));
    assert.deepEqual(problems, []);
  } finally {
    if (alive(pgid)) process.kill(-pgid, 'SIGKILL');
  }
});

test('a group tracked before start is guarded from the start', () => {
  const g = new Guardian(() => {});
  g.track(999999);
  assert.equal(g.pid, null, 'not started yet');
  g.start();
  assert.notEqual(pidOf(g), null);
  g.untrack(999999);
  g.close();
});
