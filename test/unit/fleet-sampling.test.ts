// The sampling tick behind the gate: which ticks read the fleet, with fakes for the sampler and the subtree counter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetSampling } from '../../src/runtime/fleet-sampling.ts';
import type { GroupUsage } from '../../src/io/sampler.ts';
import type { SamplerPort, SubtreeCpuPort } from '../../src/runtime/emperor-ports.ts';
import type { Vassal } from '../../src/runtime/vassal.ts';

// A sampler whose groups use `cpu` seconds per read (null: a first read), noting each call and whether it read all.
class ScriptedSampler implements SamplerPort {
  readonly calls: Array<{ pgids: number[]; all: boolean }> = [];
  cpu = 0;
  first = false;
  closed = false;
  sample(pgids: readonly number[], _now: number, all = false): Map<number, GroupUsage> {
    this.calls.push({ pgids: [...pgids], all });
    return new Map(pgids.map((g) => [g, { rssBytes: 4096, cpuPercent: this.first ? null : this.cpu, cpuSecondsDelta: this.cpu, members: 1 }]));
  }
  close(): void {
    this.closed = true;
  }
}

// The counter the test moves by hand; `outside` pids are not in the subtree.
class FakeSubtree implements SubtreeCpuPort {
  usec: number | null = 0;
  readonly outside = new Set<number>();
  readonly asked: number[] = [];
  closed = false;
  usageUsec(): number | null {
    return this.usec;
  }
  holds(pid: number): boolean {
    this.asked.push(pid);
    return !this.outside.has(pid);
  }
  close(): void {
    this.closed = true;
  }
}

function fleet(pgids: number[]): { map: Map<string, Vassal>; runners: Array<{ pgid: number | null; usage: unknown }> } {
  const runners = pgids.map((pgid) => ({ pgid: pgid as number | null, usage: null as unknown, dispatch: () => {} }));
  const v = { allRunners: () => runners, cpuSeconds: 0, spec: null };
  return { map: new Map([['web', v as unknown as Vassal]]), runners };
}

test('an idle fleet: one read of all after the counter stands, then ticks skip until it moves', () => {
  const sampler = new ScriptedSampler();
  const subtree = new FakeSubtree();
  const s = new FleetSampling(sampler, undefined, subtree);
  const { map, runners } = fleet([7, 8]);
  sampler.cpu = 0.5;
  subtree.usec = 100;
  assert.equal(s.tick(map, 0), 'read-due');
  sampler.cpu = 0;
  assert.equal(s.tick(map, 5000), 'read-all', 'the counter stood: every group is read once');
  assert.deepEqual(sampler.calls.at(-1), { pgids: [7, 8], all: true });
  assert.equal(s.phase, 'settled');
  for (let i = 2; i < 10; i++) assert.equal(s.tick(map, i * 5000), 'skip');
  assert.equal(sampler.calls.length, 2, 'no read while nothing ran');
  assert.deepEqual(runners[0]?.usage, { rssBytes: 4096, cpuPercent: 0 }, 'the last figures stand');
  subtree.usec = 101;
  assert.equal(s.tick(map, 50_000), 'read-due', 'something ran: read again');
  assert.deepEqual(subtree.asked, [7, 8], 'whether a group is in the subtree is asked once per group');
});

test('a group read for the first time keeps the gate open until it has a CPU figure', () => {
  const sampler = new ScriptedSampler();
  const subtree = new FakeSubtree();
  const s = new FleetSampling(sampler, undefined, subtree);
  const { map } = fleet([7]);
  sampler.first = true;
  s.tick(map, 0);
  s.tick(map, 5000);
  assert.notEqual(s.phase, 'settled');
  sampler.first = false;
  s.tick(map, 10_000);
  assert.equal(s.phase, 'settled');
});

test('a group outside the subtree, or no counter: every tick reads what is due', () => {
  const sampler = new ScriptedSampler();
  const subtree = new FakeSubtree();
  subtree.outside.add(8);
  const s = new FleetSampling(sampler, undefined, subtree);
  const { map } = fleet([7, 8]);
  for (let i = 0; i < 6; i++) assert.equal(s.tick(map, i * 5000), 'read-due');
  const none = new FleetSampling(new ScriptedSampler());
  for (let i = 0; i < 6; i++) assert.equal(none.tick(map, i * 5000), 'read-due');
  subtree.outside.clear();
  subtree.usec = null;
  const unreadable = new FleetSampling(new ScriptedSampler(), undefined, subtree);
  for (let i = 0; i < 6; i++) assert.equal(unreadable.tick(map, i * 5000), 'read-due');
});

test('a group that ended is forgotten: its pid leading a group again is asked again', () => {
  const sampler = new ScriptedSampler();
  const subtree = new FakeSubtree();
  const s = new FleetSampling(sampler, undefined, subtree);
  const { map, runners } = fleet([7]);
  const runner = runners[0];
  assert.ok(runner !== undefined);
  s.tick(map, 0);
  runner.pgid = null;
  subtree.usec = 1;
  s.tick(map, 5000);
  assert.equal(runner.usage, null, 'no process: no figures');
  runner.pgid = 7;
  subtree.usec = 2;
  s.tick(map, 10_000);
  assert.deepEqual(subtree.asked, [7, 7]);
});

test('close closes the sampler and the counter', () => {
  const sampler = new ScriptedSampler();
  const subtree = new FakeSubtree();
  new FleetSampling(sampler, undefined, subtree).close();
  assert.ok(sampler.closed && subtree.closed);
});
