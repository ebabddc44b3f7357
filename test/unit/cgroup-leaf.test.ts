// A respawn takes the empty leaf its instance's last process left, while that exit is handled: the same
// directory (no rmdir, no mkdir), the old handle retired, OOM kills counted afresh. A leaf something still
// holds, other limits, a daemon, or a later start get a fresh leaf; a leaf nothing took is removed.
// The tree runs on a temp directory: cgroup.events and memory.events are written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupTree, type InstanceCgroup } from '../../src/io/cgroup-tree.ts';

type Limits = { memoryMax: number | null; cpuWeight: number | null; pidsMax: number | null };
const NO_LIMITS: Limits = { memoryMax: null, cpuWeight: null, pidsMax: null };

function withTree(fn: (tree: CgroupTree) => void): void {
  const base = mkdtempSync(join(tmpdir(), 'emperor-leaf-'));
  try {
    fn(new CgroupTree(base, new Set(['memory']), () => {}));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

function make(tree: CgroupTree, name = 'web', index = 0, daemon = false, limits: Limits = NO_LIMITS): InstanceCgroup {
  const made = tree.make(name, index, daemon, limits);
  if ('error' in made) throw new Error(made.error);
  return made;
}

test('a respawn while the exit is handled runs in the same, empty leaf; the old handle is retired', () => {
  withTree((tree) => {
    const a = make(tree);
    tree.bind(100, a);
    let b: InstanceCgroup | null = null;
    a.keepWhile(() => {
      assert.equal(a.alive(), false, 'the leader is gone and the leaf is empty');
      b = make(tree);
    });
    const next = b as InstanceCgroup | null;
    assert.ok(next !== null);
    assert.equal(next.dir, a.dir, 'the same leaf');
    assert.equal(existsSync(a.dir), true, 'not removed');
    assert.equal(tree.cgroupOf(100), null, 'the old pid is forgotten');
    tree.bind(101, next);
    assert.equal(tree.cgroupOf(101), a.dir);
    writeFileSync(join(a.dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    assert.equal(a.alive(), false, 'the old handle speaks for the ended process only');
    assert.equal(next.alive(), true);
    unlinkSync(join(a.dir, 'cgroup.events'));
  });
});

test('a leaf nothing took while the exit was handled is removed', () => {
  withTree((tree) => {
    const a = make(tree);
    tree.bind(100, a);
    a.keepWhile(() => assert.equal(a.alive(), false));
    assert.equal(existsSync(a.dir), false);
    assert.equal(tree.cgroupOf(100), null);
    const later = make(tree);
    assert.notEqual(later.dir, a.dir, 'a later start (after a backoff) makes a fresh leaf');
  });
});

test('a leaf a leftover process still holds is never reused: the respawn gets a fresh one', () => {
  withTree((tree) => {
    const a = make(tree);
    // A grandchild that ignored TERM outlived the leader: the leaf is populated.
    writeFileSync(join(a.dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    let b: InstanceCgroup | null = null;
    a.keepWhile(() => {
      assert.equal(a.alive(), true);
      b = make(tree);
    });
    const next = b as InstanceCgroup | null;
    assert.ok(next !== null);
    assert.notEqual(next.dir, a.dir);
    assert.equal(existsSync(a.dir), true, 'kept while something lives in it');
    writeFileSync(join(a.dir, 'cgroup.events'), 'populated 0\nfrozen 0\n');
    unlinkSync(join(a.dir, 'cgroup.events'));
    assert.equal(a.alive(), false);
    assert.equal(existsSync(a.dir), false, 'removed once empty');
  });
});

test('other limits, another instance, or a daemon: never the parked leaf', () => {
  withTree((tree) => {
    const cases: Array<[string, number, boolean, Limits]> = [
      ['web', 0, false, { ...NO_LIMITS, memoryMax: 1 << 20 }],
      ['web', 1, false, NO_LIMITS],
      ['api', 0, false, NO_LIMITS],
    ];
    for (const [name, index, daemon, limits] of cases) {
      const a = make(tree);
      let other: InstanceCgroup | null = null;
      a.keepWhile(() => {
        a.alive();
        other = make(tree, name, index, daemon, limits);
      });
      assert.notEqual((other as InstanceCgroup | null)?.dir, a.dir, `${name}@${index} ${JSON.stringify(limits)}`);
      assert.equal(existsSync(a.dir), false, 'the parked leaf is removed');
    }
    const d = make(tree, 'db', 0, true);
    let again: InstanceCgroup | null = null;
    d.keepWhile(() => {
      d.alive();
      again = make(tree, 'db', 0, true);
    });
    assert.notEqual((again as InstanceCgroup | null)?.dir, d.dir, 'a daemon always gets a fresh leaf');
  });
});

test('OOM kills before the reuse are not the new process\'s', () => {
  withTree((tree) => {
    const a = make(tree, 'web', 0, false, { ...NO_LIMITS, memoryMax: 1 << 20 });
    writeFileSync(join(a.dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    let b: InstanceCgroup | null = null;
    a.keepWhile(() => {
      assert.equal(a.oomKilled(), 'killed by the kernel OOM killer at memory-max 1M');
      a.alive();
      b = make(tree, 'web', 0, false, { ...NO_LIMITS, memoryMax: 1 << 20 });
    });
    const next = b as InstanceCgroup | null;
    assert.ok(next !== null && next.dir === a.dir);
    assert.equal(next.oomKilled(), null, 'the earlier kill is not counted again');
    writeFileSync(join(a.dir, 'memory.events'), 'low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n');
    assert.equal(next.oomKilled(), 'killed by the kernel OOM killer at memory-max 1M');
  });
});

test('without the memory controller no memory.events is read: no OOM is ever reported', () => {
  const base = mkdtempSync(join(tmpdir(), 'emperor-leaf-'));
  try {
    const tree = new CgroupTree(base, new Set(['pids']), () => {});
    const a = make(tree);
    writeFileSync(join(a.dir, 'memory.events'), 'oom_kill 1\n');
    assert.equal(a.oomKilled(), null);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a leaf the emperor signalled (a stop, a watchdog kill) is never handed to a respawn: it gets a fresh leaf', () => {
  withTree((tree) => {
    const a = make(tree);
    tree.bind(100, a);
    a.signal('SIGKILL');
    let b: InstanceCgroup | null = null;
    a.keepWhile(() => {
      assert.equal(a.alive(), false, 'empty by now');
      b = make(tree);
    });
    const next = b as InstanceCgroup | null;
    assert.ok(next !== null);
    assert.notEqual(next.dir, a.dir, 'a fresh leaf: the kill of the old one could still reach a process put in it');
    assert.equal(existsSync(a.dir), false, 'the old leaf removed');
  });
});
