// Containment in the spawn path, with a fake cgroup port: the cgroup shim outermost in the plan's argv (before
// setpriv, the watchdog's and the socket's shims), the spawn watched through its cgroup, failures with their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { planSpawn, SETPRIV, SHIM, WATCHDOG_SHIM, type PlanContext, type RunAs } from '../../src/runtime/spawn-plan.ts';
import { CGROUP_SHIM } from '../../src/core/cgroup-layout.ts';
import { spawnInstance, type SpawnContext } from '../../src/runtime/instance-spawn.ts';
import { containedDaemon } from '../../src/runtime/cgroup-supervised.ts';
import { sampleFleet } from '../../src/runtime/emperor-services.ts';
import type { Vassal } from '../../src/runtime/vassal.ts';
import type { SpawnRequest, Spawner } from '../../src/io/spawner.ts';
import type { GroupUsage } from '../../src/io/sampler.ts';
import type { Supervised } from '../../src/runtime/supervised.ts';
import { VassalSocket } from '../../src/runtime/vassal-socket.ts';
import { VassalLogs } from '../../src/runtime/vassal-logs.ts';
import { OutputRing } from '../../src/runtime/output-ring.ts';
import { EventLog } from '../../src/runtime/event-log.ts';
import type { VassalServices } from '../../src/runtime/vassal-services.ts';
import { failed } from '../../src/core/errors.ts';
import { FakeFacts } from './fakes/runtime-ports.ts';
import { FakeCgroups } from './fakes/runtime-cgroups.ts';
import { makeSpec } from './make-spec.ts';

const CTX: PlanContext = { baseEnv: { PATH: '/usr/bin:/bin' }, logDir: '/var/log/emperor', uwsgi: '/usr/bin/uwsgi', ownUid: 0, runAs: null, listenFd: null };
const ALICE: RunAs = { account: { name: 'alice', uid: 1001, gid: 1001, home: '/home/alice', shell: '/bin/bash', known: true }, gid: 1001, loginGroups: [1001] };
const DIR = '/sys/fs/cgroup/emperor-x/vassals/web@0.1';

test('plan: the cgroup shim goes outermost, before setpriv, the watchdog\'s and the socket\'s shims; the program is checked first', () => {
  const readiness = { notifySocket: '/run/emperor/notify.sock', watchdogUsec: 5_000_000, emperorFd: null };
  const p = planSpawn(makeSpec({ user: 'alice' }), 0, { ...CTX, runAs: ALICE, listenFd: 7, readiness, cgroup: DIR });
  assert.deepEqual(p.argv, [...CGROUP_SHIM, `${DIR}/cgroup.procs`, SETPRIV, '--reuid=1001', '--init-groups', '--regid=1001', '--', ...WATCHDOG_SHIM, ...SHIM, '/usr/bin/node', 'server.js']);
  assert.equal(p.cgroup, DIR);
  assert.equal(p.program, '/usr/bin/node', 'a failure names the command, not /bin/sh');
  assert.equal(p.checkProgram, '/usr/bin/node', 'behind the shim a missing program would only be exit 127');
  const alone = planSpawn(makeSpec(), 0, { ...CTX, cgroup: DIR });
  assert.deepEqual(alone.argv, [...CGROUP_SHIM, `${DIR}/cgroup.procs`, '/usr/bin/node', 'server.js']);
  const off = planSpawn(makeSpec(), 0, { ...CTX, cgroup: null });
  assert.deepEqual(off, planSpawn(makeSpec(), 0, CTX), 'without a cgroup the plan is as before');
  assert.equal('cgroup' in off || 'program' in off, false);
});

/** A spawner that records requests; its processes (pid 4242) exit when `exits` emits. */
function fakeSpawner(): Spawner & { requests: SpawnRequest[]; exits: EventEmitter } {
  const requests: SpawnRequest[] = [];
  const exits = new EventEmitter();
  return {
    requests,
    exits,
    spawn(req) {
      requests.push(req);
      return { pid: 4242, stdout: null, stderr: null, onExit: (l) => void exits.once('exit', l) };
    },
    outputPair: () => Promise.reject(new Error('no pairs here')),
  };
}

function context(spawner: Spawner, cgroups: FakeCgroups, lines: string[], groupSignals: string[]): SpawnContext {
  const timers = { setTimeout: () => ({}), clearTimeout: () => {}, setInterval: () => ({}), clearInterval: () => {} };
  const signals = { killGroup: (_g: number, s: string) => (groupSignals.push(s), true), kill: () => true, groupAlive: () => true };
  const services: VassalServices = {
    clock: { now: () => 0, unixSeconds: () => 0 },
    timers,
    random: () => 0.5,
    signals,
    spawner,
    guardian: { track: () => {}, untrack: () => {} },
    events: new EventLog('text', (t) => void lines.push(t)),
    logDir: '/tmp',
    baseEnv: { PATH: '/usr/bin:/bin' },
    stdout: () => {},
    stderr: () => {},
    groupAlive: () => true,
    killGroup: (_g, s) => void groupSignals.push(s),
    missingDependencies: () => [],
    stateChanged: () => {},
    records: { read: () => null, write: () => null, remove: () => {} } as unknown as VassalServices['records'],
    daemon: { time: { clock: { now: () => 0, unixSeconds: () => 0 }, timers, wallMs: () => 0 }, signals, facts: new FakeFacts() },
    uwsgi: '/usr/bin/uwsgi',
    probe: () => Promise.resolve({ ok: true, message: 'fake' }),
    openSocket: () => failed('E_BIND_FAILED', 'no sockets here'),
    cgroups,
  };
  return { name: 'web', services, socket: new VassalSocket(services.openSocket), logs: new VassalLogs('web', services), output: new OutputRing() };
}

test('a contained spawn: one cgroup with the spec\'s limits, entered by the request\'s shim; stop, aliveness and OOM through it', () => {
  const s = fakeSpawner();
  const cgroups = new FakeCgroups();
  const lines: string[] = [];
  const groupSignals: string[] = [];
  const r = spawnInstance(context(s, cgroups, lines, groupSignals), makeSpec({ command: ['/bin/true'], directory: '/', memoryMax: 1 << 20, pidsMax: 8 }), 0);
  assert.ok('pid' in r);
  const cg = cgroups.made[0];
  assert.ok(cg !== undefined && cgroups.made.length === 1);
  assert.deepEqual(cg.limits, { memoryMax: 1 << 20, cpuWeight: null, pidsMax: 8 });
  const req = s.requests[0] as SpawnRequest;
  assert.deepEqual(req.argv, [...CGROUP_SHIM, `${cg.dir}/cgroup.procs`, '/bin/true']);
  assert.equal(req.program, '/bin/true');
  assert.equal(cgroups.bound.get(4242), cg, 'bound to its pid for sampling');
  r.signal('TERM');
  r.signal('KILL');
  assert.deepEqual(cg.signals, ['TERM', 'KILL'], 'every process of the cgroup');
  assert.deepEqual(groupSignals, [], 'not the process group');
  assert.equal(r.alive(), true);
  cg.populated = false;
  assert.equal(r.alive(), false, 'gone when the cgroup is empty');
  const heard: Array<number | null> = [];
  const reasons: Array<string | undefined> = [];
  r.onExit((code, _signal, reason) => {
    heard.push(code);
    reasons.push(reason);
  });
  cg.oom = 'killed by the kernel OOM killer at memory-max 1M';
  s.exits.emit('exit', 137, null);
  assert.deepEqual(heard, [137]);
  assert.deepEqual(reasons, ['killed by the kernel OOM killer at memory-max 1M'], 'the reason goes with the exit, to the instance\'s error');
  assert.ok(lines.some((l) => l.includes('killed by the kernel OOM killer at memory-max 1M')), lines.join(''));
});

test('a cgroup that cannot be made fails the spawn with E_CGROUP_FAILED; nothing is spawned', () => {
  const s = fakeSpawner();
  const cgroups = new FakeCgroups();
  cgroups.failWith = 'cannot create /sys/fs/cgroup/x/vassals/web@0.1: ENOSPC (pass --cgroup off to run without cgroups)';
  const r = spawnInstance(context(s, cgroups, [], []), makeSpec({ command: ['/bin/true'], directory: '/' }), 0);
  assert.ok('error' in r);
  assert.equal(r.failure.code, 'E_CGROUP_FAILED');
  assert.match(r.error, /ENOSPC/);
  assert.equal(s.requests.length, 0);
});

test('a program that is missing fails before the spawn, and its empty cgroup is removed at once', () => {
  const s = fakeSpawner();
  const cgroups = new FakeCgroups();
  const r = spawnInstance(context(s, cgroups, [], []), makeSpec({ command: ['/nonexistent/prog'], directory: '/' }), 0);
  assert.ok('error' in r);
  assert.equal(r.failure.code, 'E_SPAWN_NOT_FOUND');
  assert.equal(r.error, 'command not found: /nonexistent/prog does not exist', 'checked before the shim could turn it into exit 127');
  assert.equal(s.requests.length, 0);
  assert.equal(cgroups.made[0]?.checks, 1, 'asked once whether it is empty (removed when it is)');
});

test('a contained daemon: its signals go to its cgroup (once to each process, the daemon among them), and it lives while the cgroup is populated', () => {
  const cgroups = new FakeCgroups();
  const made = cgroups.make('db', 0, true, { memoryMax: null, cpuWeight: null, pidsMax: null });
  assert.ok(!('error' in made));
  const cg = cgroups.made[0];
  assert.ok(cg !== undefined);
  cgroups.daemons.set(99, cg);
  const own: string[] = [];
  const sup: Supervised = { pid: 99, guarded: false, signal: (sig: string) => void own.push(sig), alive: () => false, onExit: () => {} } as unknown as Supervised;
  const r = containedDaemon(cgroups, sup);
  assert.ok('pid' in r);
  r.signal('TERM');
  // Not to the pid and then the cgroup: the daemon would get a second TERM, which many programs take as "hurry".
  assert.deepEqual([own, cg.signals], [[], ['TERM']]);
  assert.equal(r.alive(), true, 'a helper it forked is still in the cgroup');
  cg.populated = false;
  assert.equal(r.alive(), false);
  r.signal('TERM');
  assert.deepEqual([own, cg.signals], [['TERM'], ['TERM']], 'an empty cgroup: the pid\'s own checks decide (it is gone)');
  assert.equal(containedDaemon(undefined, sup), sup, 'without containment: as it is');
});

test('sampling: a contained instance\'s CPU and memory come from its cgroup', () => {
  const cgroups = new FakeCgroups();
  const made = cgroups.make('web', 0, false, { memoryMax: null, cpuWeight: null, pidsMax: null });
  assert.ok(!('error' in made));
  cgroups.bind(7, made);
  cgroups.figures.set(7, { rssBytes: 5000, cpuSecondsDelta: 2, cpuPercent: 40 });
  const runner = { pgid: 7, usage: null as unknown, dispatch: () => {} };
  const other = { pgid: 8, usage: null as unknown, dispatch: () => {} };
  const v = { allRunners: () => [runner, other], cpuSeconds: 0, spec: null };
  const sampler = { sample: (pgids: readonly number[]) => new Map<number, GroupUsage>(pgids.map((g) => [g, { rssBytes: 100, cpuPercent: 1, cpuSecondsDelta: 0.5 } as GroupUsage])), close: () => {} };
  sampleFleet([v as unknown as Vassal], sampler, 1000, cgroups);
  assert.deepEqual(runner.usage, { rssBytes: 5000, cpuPercent: 40 });
  assert.deepEqual(other.usage, { rssBytes: 100, cpuPercent: 1 }, 'no cgroup: the sampler\'s figures');
  assert.equal(v.cpuSeconds, 2.5);
});

test('a contained child: no process group for the guardian, and its exit is heard with its cgroup kept for a respawn', () => {
  const s = fakeSpawner();
  const cgroups = new FakeCgroups();
  const r = spawnInstance(context(s, cgroups, [], []), makeSpec({ command: ['/bin/true'], directory: '/' }), 0);
  assert.ok('pid' in r);
  assert.equal(r.contained, true, 'the cgroup guardian covers it');
  const cg = cgroups.made[0];
  const kept: boolean[] = [];
  r.onExit(() => kept.push(cg?.keeping ?? false));
  s.exits.emit('exit', null, 'SIGKILL');
  assert.deepEqual(kept, [true]);
  assert.equal(cg?.keeping, false, 'only while the exit is handled');
});
