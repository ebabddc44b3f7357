// The cgroup overlay reads kept descriptors: figures follow the files; memory.stat is read again only once CPU moved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupUsage } from '../../src/io/cgroup-usage.ts';

const figures = (): Map<number, { rssBytes: number; cpuPercent: number | null; cpuSecondsDelta: number }> => new Map([[7, { rssBytes: 1, cpuPercent: null, cpuSecondsDelta: 0 }]]);

test('an idle cgroup keeps its memory figure; CPU use reads memory.stat again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-cgusage-'));
  const usage = new CgroupUsage();
  try {
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\n');
    writeFileSync(join(dir, 'memory.stat'), 'anon 8192\nfile 4096000\nkernel_stack 16384\nfile_mapped 4096\n');
    const first = usage.overlay(figures(), () => dir, 1000).get(7);
    assert.deepEqual(first, { rssBytes: 12288, cpuPercent: null, cpuSecondsDelta: 1 });
    writeFileSync(join(dir, 'memory.stat'), 'anon 999999\nfile_mapped 1\n');
    const idle = usage.overlay(figures(), () => dir, 2000).get(7);
    assert.deepEqual(idle, { rssBytes: 12288, cpuPercent: 0, cpuSecondsDelta: 0 }, 'no CPU: the memory figure stands');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1250000\n');
    const busy = usage.overlay(figures(), () => dir, 3000).get(7);
    assert.deepEqual(busy, { rssBytes: 1000000, cpuPercent: 25, cpuSecondsDelta: 0.25 });
  } finally {
    usage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without memory.stat (no memory controller) the sampler figure stays; without cpu.stat too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-cgusage-'));
  const usage = new CgroupUsage();
  try {
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 5\n');
    assert.deepEqual(usage.overlay(figures(), () => dir, 1).get(7), { rssBytes: 1, cpuPercent: null, cpuSecondsDelta: 0.000005 });
    assert.deepEqual(usage.overlay(figures(), () => join(dir, 'gone'), 2).get(7), { rssBytes: 1, cpuPercent: null, cpuSecondsDelta: 0 });
    assert.deepEqual(usage.overlay(figures(), () => null, 3).get(7), { rssBytes: 1, cpuPercent: null, cpuSecondsDelta: 0 });
  } finally {
    usage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cgroup that is no longer bound (removed: its instance ended) is let go at the next overlay, descriptors closed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-cgusage-'));
  const usage = new CgroupUsage();
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  try {
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 5\n');
    writeFileSync(join(dir, 'memory.stat'), 'anon 4096\n');
    const before = openFds();
    let bound: string | null = dir;
    usage.overlay(figures(), () => bound, 1);
    assert.equal(openFds(), before + 2, 'cpu.stat and memory.stat kept open');
    bound = null;
    usage.overlay(new Map(), () => bound, 2);
    assert.equal(openFds(), before, 'both closed once the cgroup is unbound');
  } finally {
    usage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cgroup left out of a sample (idle, sitting out) holds no descriptor; its figures carry on when it is read again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-cgusage-'));
  const usage = new CgroupUsage();
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  try {
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1000000\n');
    const before = openFds();
    usage.overlay(figures(), () => dir, 1000);
    assert.equal(openFds(), before + 1, 'cpu.stat kept open (no memory.stat here)');
    usage.overlay(new Map(), () => dir, 2000);
    assert.equal(openFds(), before, 'sitting out: closed');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 3000000\n');
    assert.deepEqual(usage.overlay(figures(), () => dir, 3000).get(7), { rssBytes: 1, cpuPercent: 100, cpuSecondsDelta: 2 }, 'since its last read');
  } finally {
    usage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reused cgroup (a respawn in the same leaf) carries its reading on: the ended process\'s CPU is counted once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-cgusage-'));
  const usage = new CgroupUsage();
  const one = (pid: number): Map<number, { rssBytes: number; cpuPercent: number | null; cpuSecondsDelta: number }> => new Map([[pid, { rssBytes: 1, cpuPercent: null, cpuSecondsDelta: 0 }]]);
  try {
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1000000\n');
    let bound = new Map([[7, dir]]);
    assert.equal(usage.overlay(one(7), (p) => bound.get(p) ?? null, 1000).get(7)?.cpuSecondsDelta, 1);
    // 7 crashed; its respawn 8 runs in the same leaf. A sample that does not read 8 yet keeps the reading.
    bound = new Map([[8, dir]]);
    usage.follow(dir, 8);
    usage.overlay(new Map(), (p) => bound.get(p) ?? null, 2000);
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1500000\n');
    assert.equal(usage.overlay(one(8), (p) => bound.get(p) ?? null, 3000).get(8)?.cpuSecondsDelta, 0.5, 'not 1.5');
  } finally {
    usage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
