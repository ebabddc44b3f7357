// The fleet's one CPU counter: the sum of usage_usec over cgroups, read through kept descriptors; null when one is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubtreeCpu } from '../../src/io/subtree-cpu.ts';

test('sums usage_usec of each cgroup; follows the files; null while one cannot be read; close lets go', () => {
  const root = mkdtempSync(join(tmpdir(), 'emperor-subtree-'));
  const a = join(root, 'vassals');
  const b = join(root, 'daemons');
  mkdirSync(a);
  mkdirSync(b);
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const before = openFds();
  const cpu = new SubtreeCpu([a, b]);
  try {
    writeFileSync(join(a, 'cpu.stat'), 'usage_usec 1000\nuser_usec 600\nsystem_usec 400\n');
    assert.equal(cpu.usageUsec(), null, 'daemons/cpu.stat missing');
    writeFileSync(join(b, 'cpu.stat'), 'usage_usec 25\n');
    assert.equal(cpu.usageUsec(), 1025);
    assert.equal(openFds(), before + 2, 'both kept open');
    writeFileSync(join(a, 'cpu.stat'), 'usage_usec 2000\n');
    assert.equal(cpu.usageUsec(), 2025, 'read again through the kept descriptor');
    cpu.close();
    assert.equal(openFds(), before);
  } finally {
    cpu.close();
    rmSync(root, { recursive: true, force: true });
  }
});
