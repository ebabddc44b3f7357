// The cgroup text parsers and path decisions, with odd inputs; limits, OOM and memory.stat through a fake cgroupfs
// (a temp directory: no controller is enabled on the machines CI runs on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupDirectory, parseCgroup2Mounts, parseControllers, parseCpuUsageUsec, parseOomKills, parsePids, parsePopulated, parseProcCgroup, parseResidentBytes } from '../../src/core/cgroup-facts.ts';
import { cgroupProblem, cgroupSafe, instanceCgroupName, oomMessage, parseCgroupOption, parseInstanceCgroupName, subtreeName, subtreeParent, controllersToEnable } from '../../src/core/cgroup-layout.ts';
import { CgroupTree, CGROUP_SHIM } from '../../src/io/cgroup-tree.ts';
import { CgroupUsage } from '../../src/io/cgroup-usage.ts';

const HYBRID = `25 31 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
42 31 0:39 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory`;

test('cgroup2 mounts: hybrid, unified, escaped paths, none', () => {
  assert.deepEqual(parseCgroup2Mounts(HYBRID), [{ mountPoint: '/sys/fs/cgroup/unified', root: '/' }]);
  assert.deepEqual(parseCgroup2Mounts('30 1 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate'), [{ mountPoint: '/sys/fs/cgroup', root: '/' }]);
  assert.deepEqual(parseCgroup2Mounts('30 1 0:26 /a\\040b /mnt/c\\040g rw - cgroup2 none rw'), [{ mountPoint: '/mnt/c g', root: '/a b' }]);
  assert.deepEqual(parseCgroup2Mounts('garbage\n\n - \n1 2 3'), []);
});

test('/proc/self/cgroup: the 0:: line only', () => {
  assert.equal(parseProcCgroup('9:name=systemd:/\n4:memory:/x\n0::/\n'), '/');
  assert.equal(parseProcCgroup('0::/system.slice/emperor.service\n'), '/system.slice/emperor.service');
  assert.equal(parseProcCgroup('4:memory:/x\n'), null);
  assert.equal(parseProcCgroup('0::\n'), null);
});

test('cgroup directories under a mount, a mount of a sub-cgroup, a cgroup the mount does not show', () => {
  const m = { mountPoint: '/sys/fs/cgroup/unified', root: '/' };
  assert.equal(cgroupDirectory(m, '/'), '/sys/fs/cgroup/unified');
  assert.equal(cgroupDirectory(m, '/a/b'), '/sys/fs/cgroup/unified/a/b');
  const sub = { mountPoint: '/sys/fs/cgroup', root: '/user.slice' };
  assert.equal(cgroupDirectory(sub, '/user.slice/x'), '/sys/fs/cgroup/x');
  assert.equal(cgroupDirectory(sub, '/system.slice'), null);
});

test('flat-keyed files: events, cpu.stat, memory.stat, memory.events, procs, controllers', () => {
  assert.equal(parsePopulated('populated 1\nfrozen 0\n'), true);
  assert.equal(parsePopulated('populated 0\nfrozen 0\n'), false);
  assert.equal(parsePopulated(''), null);
  assert.equal(parseCpuUsageUsec('usage_usec 1500000\nuser_usec 1\n'), 1500000);
  assert.equal(parseCpuUsageUsec('nothing'), null);
  assert.equal(parseResidentBytes('anon 1000\nfile 99999\nfile_mapped 24\nshmem 5\n'), 1024);
  assert.equal(parseResidentBytes('file 5\n'), null);
  assert.equal(parseOomKills('low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n'), 1);
  assert.equal(parseOomKills(''), 0);
  assert.deepEqual(parsePids('12\n13\n\nx\n0\n'), [12, 13]);
  assert.deepEqual([...parseControllers('cpuset cpu io memory pids\n')], ['cpuset', 'cpu', 'io', 'memory', 'pids']);
  assert.deepEqual(controllersToEnable(parseControllers('io memory pids')), ['memory', 'pids']);
});

test('subtree per state directory; the leaf is recognised after a re-exec', () => {
  const a = subtreeName('/run/emperor');
  assert.match(a, /^emperor-[0-9a-f]{12}$/);
  assert.notEqual(a, subtreeName('/run/emperor2'));
  assert.equal(subtreeParent('/system.slice/emperor.service', a), '/system.slice/emperor.service');
  assert.equal(subtreeParent(`/system.slice/emperor.service/${a}/supervisor`, a), '/system.slice/emperor.service');
  assert.equal(subtreeParent(`/${a}/supervisor`, a), '/');
});

test('instance cgroup names: any vassal name, never an interface file, read back', () => {
  assert.equal(instanceCgroupName('web', 0, 7), 'web@0.7');
  assert.equal(instanceCgroupName('cgroup.procs', 1, 2), 'cgroup%2eprocs@1.2');
  assert.equal(cgroupSafe('a/b é'), 'a%2fb%20%c3%a9');
  assert.deepEqual(parseInstanceCgroupName(instanceCgroupName('x.y@z', 3, 9)), { name: 'x.y@z', index: 3, seq: 9 });
  assert.equal(parseInstanceCgroupName('supervisor'), null);
});

test('--cgroup: off, auto, a directory; anything else a clear error', () => {
  assert.deepEqual(parseCgroupOption(null), { kind: 'auto' });
  assert.deepEqual(parseCgroupOption('off'), { kind: 'off' });
  assert.deepEqual(parseCgroupOption('/sys/fs/cgroup/x/'), { kind: 'dir', dir: '/sys/fs/cgroup/x' });
  const bad = parseCgroupOption('relative/dir');
  assert.ok('error' in bad && /absolute path/.test(bad.error));
});

test('why a directory cannot hold the subtree: not mounted, not cgroup v2, no rights, not delegated', () => {
  const ok = { exists: true, cgroup2: true, writable: true, procsWritable: true };
  assert.equal(cgroupProblem('/x', ok, 'option'), null);
  assert.match(cgroupProblem('/x', { ...ok, exists: false }, 'option') ?? '', /^--cgroup \/x: no such directory \(cgroup2 not mounted/);
  assert.match(cgroupProblem('/x', { ...ok, cgroup2: false }, 'option') ?? '', /not a cgroup v2 directory/);
  assert.match(cgroupProblem('/x', { ...ok, writable: false }, 'own') ?? '', /^the emperor's cgroup \/x: no rights/);
  assert.match(cgroupProblem('/x', { ...ok, procsWritable: false }, 'option') ?? '', /not delegated.*Delegate=yes/);
});

test('the OOM message names memory-max', () => {
  assert.equal(oomMessage(512 * 1024 * 1024), 'killed by the kernel OOM killer at memory-max 512M');
  assert.equal(oomMessage(1000), 'killed by the kernel OOM killer at memory-max 1000');
  assert.equal(oomMessage(null), 'killed by the kernel OOM killer');
});

// A temp directory stands in for cgroupfs: mkdir and writes work the same; the kernel's files are written by hand.
function fakeTree(controllers: string[]): { tree: CgroupTree; warnings: string[]; base: string } {
  const base = mkdtempSync(join(tmpdir(), 'emperor-fake-cg-'));
  const warnings: string[] = [];
  return { tree: new CgroupTree(base, new Set(controllers), (m) => warnings.push(m)), warnings, base };
}

test('limits are written where their controller is on; a missing controller is a warning naming it, once', () => {
  const { tree, warnings, base } = fakeTree(['memory', 'pids']);
  try {
    const limits = { memoryMax: 512 * 1024 * 1024, cpuWeight: 200, pidsMax: 64 };
    const a = tree.enter(['/bin/true'], 'web', 0, false, limits);
    assert.ok(!('error' in a));
    if ('error' in a) return;
    assert.deepEqual(a.argv, [...CGROUP_SHIM, join(a.cgroup.dir, 'cgroup.procs'), '/bin/true']);
    assert.equal(readFileSync(join(a.cgroup.dir, 'memory.max'), 'utf8'), String(512 * 1024 * 1024));
    assert.equal(readFileSync(join(a.cgroup.dir, 'pids.max'), 'utf8'), '64');
    assert.equal(existsSync(join(a.cgroup.dir, 'cpu.weight')), false);
    tree.enter(['/bin/true'], 'web', 1, false, limits);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^web: cpu-weight not applied: the cpu controller is not enabled/);
    const d = tree.enter(['/bin/true'], 'db', 0, true, limits);
    assert.ok(!('error' in d) && d.cgroup.dir.startsWith(join(base, 'daemons')));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('an OOM kill in memory.events is reported with memory-max; memory.stat gives resident bytes', () => {
  const { tree, base } = fakeTree(['memory']);
  try {
    const a = tree.enter(['/bin/true'], 'hog', 0, false, { memoryMax: 256 * 1024 * 1024, cpuWeight: null, pidsMax: null });
    if ('error' in a) throw new Error(a.error);
    assert.equal(a.cgroup.oomKilled(), null);
    writeFileSync(join(a.cgroup.dir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
    assert.equal(a.cgroup.oomKilled(), 'killed by the kernel OOM killer at memory-max 256M');
    writeFileSync(join(a.cgroup.dir, 'memory.stat'), 'anon 4096000\nfile 900000000\nfile_mapped 96000\n');
    writeFileSync(join(a.cgroup.dir, 'cpu.stat'), 'usage_usec 2000000\n');
    tree.bind(4242, a.cgroup);
    const usage = new CgroupUsage();
    const m = new Map([[4242, { rssBytes: 1, cpuPercent: null as number | null, cpuSecondsDelta: 0 }], [99, { rssBytes: 7, cpuPercent: 1, cpuSecondsDelta: 1 }]]);
    usage.overlay(m, (pid) => tree.cgroupOf(pid), 1000);
    assert.deepEqual(m.get(4242), { rssBytes: 4192000, cpuPercent: null, cpuSecondsDelta: 2 });
    writeFileSync(join(a.cgroup.dir, 'cpu.stat'), 'usage_usec 2500000\n');
    usage.overlay(m, (pid) => tree.cgroupOf(pid), 2000);
    assert.deepEqual(m.get(4242), { rssBytes: 4192000, cpuPercent: 50, cpuSecondsDelta: 0.5 });
    assert.deepEqual(m.get(99), { rssBytes: 7, cpuPercent: 1, cpuSecondsDelta: 1 }, 'a group without a cgroup keeps the sampler figures');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('the cgroup of a spawn that never happened is swept once old and empty; a bound one is not', () => {
  const { tree, base } = fakeTree([]);
  try {
    const failed = tree.enter(['/bin/true'], 'web', 0, false, { memoryMax: null, cpuWeight: null, pidsMax: null });
    const bound = tree.enter(['/bin/true'], 'web', 1, false, { memoryMax: null, cpuWeight: null, pidsMax: null });
    if ('error' in failed || 'error' in bound) throw new Error('enter');
    tree.bind(4243, bound.cgroup);
    tree.sweep(Date.now());
    assert.ok(existsSync(failed.cgroup.dir), 'young: the shim may not have run yet');
    tree.sweep(Date.now() + 60_000);
    assert.equal(existsSync(failed.cgroup.dir), false);
    assert.ok(existsSync(bound.cgroup.dir));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
