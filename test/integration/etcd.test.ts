// Vassals from etcd, end to end: a 3-member cluster on loopback and two emperors (hosts a and b).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EMPEROR_BIN, EmperorUnderTest, ctl, waitFor } from './harness.ts';
import { EtcdCluster } from './etcd-cluster.ts';
import { USER_A, testUsers } from './test-users.ts';
import type { FleetDocument, StatsDocument } from '../../src/control/protocol.ts';

const root = process.geteuid?.() === 0;
const value = (arg: string): string => `[vassal]\ncommand = sleep ${arg}\n${root ? `user = ${USER_A}\n` : ''}`;
const pidOf = async (e: EmperorUnderTest, name: string): Promise<number> => (await e.waitState(name, 'RUNNING', 20000)).pids[0] ?? 0;
const etcdHealthy = (doc: StatsDocument): boolean | undefined => doc.sources?.find((s) => s.kind === 'etcd')?.healthy;

// The whole story on one cluster: starting etcd three times would cost more than the rest.
test('vassals from etcd on two hosts: all/ and hosts/a/, edits, members lost, the cluster back, the fleet', { timeout: 240_000 }, async (t) => {
  if (root) testUsers();
  const cluster = await EtcdCluster.start(3);
  const url = `etcd://${cluster.endpoints}/emp`;
  const a = new EmperorUnderTest(['--vassals', url, '--host-name', 'a', '--etcd-lease-ttl', '5s']);
  const b = new EmperorUnderTest(['--vassals', url, '--host-name', 'b', '--etcd-lease-ttl', '5s']);
  t.after(async () => {
    for (const e of [a, b]) assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
    await cluster.stop();
  });
  try {
    await a.start();
    await b.start();
    await waitFor('both sources healthy', async () => etcdHealthy(await a.stats()) === true && etcdHealthy(await b.stats()) === true, 20000);

    // A key under all/ runs on both hosts, one under hosts/a/ only on a.
    await cluster.put('emp/all/both.ini', value('1000'));
    await cluster.put('emp/hosts/a/only.ini', value('1001'));
    const bothA = await pidOf(a, 'both');
    const bothB = await pidOf(b, 'both');
    await pidOf(a, 'only');
    assert.equal((await a.vassal('both'))?.file, `${url.replace('/emp', '')}/emp/all/both.ini`);
    assert.equal(await b.vassal('only'), undefined, 'hosts/a/ is not b\'s');

    // Counted by etcd: a put under hosts/a/ is sent to one watcher (a's), and an idle fleet sends only
    // lease keep-alives (the window is the measurement).
    await new Promise((r) => setTimeout(r, 1500)); // presence keys settle (written at most once a second)
    const quiet = await cluster.counters();
    await new Promise((r) => setTimeout(r, 3000));
    const idle = diff(quiet, await cluster.counters());
    assert.deepEqual(Object.keys(idle), ['recv LeaseKeepAlive'], JSON.stringify(idle));
    const before = await cluster.counters();
    await cluster.put('emp/hosts/a/woken.ini', value('1007'));
    await pidOf(a, 'woken');
    assert.equal(diff(before, await cluster.counters())['events sent to watchers'], 1);

    // A name both of a's sources define (its directory and etcd) is INVALID, naming both.
    a.write('clash.ini', value('1005'));
    await cluster.put('emp/all/clash.ini', value('1006'));
    const clash = await a.waitState('clash', 'INVALID', 20000);
    assert.match(clash.error ?? '', /defined by two sources, .*vassals .* and etcd:\/\//);

    // An edit reloads (a new command: restarted) on both.
    await cluster.put('emp/all/both.ini', value('1002'));
    const edited = async (e: EmperorUnderTest, before: number): Promise<number> =>
      (await e.waitVassal('both', 'restarted by the edit', (v) => v.state === 'RUNNING' && v.pids[0] !== before, 20000)).pids[0] ?? 0;
    const both2A = await edited(a, bothA);
    const both2B = await edited(b, bothB);

    // One member killed changes nothing: no vassal restarts, and a new key still arrives.
    await cluster.kill(0);
    await cluster.put('emp/all/later.ini', value('1003'));
    await pidOf(a, 'later');
    await pidOf(b, 'later');
    assert.equal((await a.vassal('both'))?.pids[0], both2A);
    assert.equal((await b.vassal('both'))?.pids[0], both2B);

    // A second member killed: the last one has no leader, and watches require one, so whichever
    // member an emperor talks to, its source goes down (never a silently stalled watch).
    await cluster.kill(1);
    await waitFor('a and b notice there is no leader', async () => etcdHealthy(await a.stats()) === false && etcdHealthy(await b.stats()) === false, 30000);
    // etcd3's watch stream may report itself connected for a moment before the member refuses it
    // (no leader): the status is read until it says so, within the deadline.
    const status = await waitFor('emperorctl status to show the source down', async () => {
      const out = await ctl(a.stateDir, ['status']);
      return /source etcd etcd:\/\/.*\/emp: NOT OK \(unreachable/.test(out.stdout) ? out : null;
    }, 30000, 200);
    assert.match(status.stdout, /source etcd etcd:\/\/.*\/emp: NOT OK \(unreachable/);
    // Every member killed: every vassal keeps running.
    await cluster.kill(2);
    assert.equal((await a.vassal('both'))?.pids[0], both2A);
    assert.equal((await a.vassal('only'))?.state, 'RUNNING');

    // An emperor restarted meanwhile runs its last known set.
    await b.stop();
    await b.relaunch();
    const both3B = await pidOf(b, 'both');
    await pidOf(b, 'later');
    assert.equal(etcdHealthy(await b.stats()), false);

    // The cluster returns: the watches resume, nothing restarts, and a new key arrives.
    for (const i of [0, 1, 2]) cluster.startMember(i);
    await cluster.waitHealthy();
    await waitFor('both sources healthy again', async () => etcdHealthy(await a.stats()) === true && etcdHealthy(await b.stats()) === true, 30000);
    await cluster.put('emp/all/after.ini', value('1004'));
    await pidOf(a, 'after');
    await pidOf(b, 'after');
    assert.equal((await a.vassal('both'))?.pids[0], both2A, 'a restarted nothing');
    assert.equal((await b.vassal('both'))?.pids[0], both3B, 'b restarted nothing');

    // A delete stops the vassal.
    await cluster.del('emp/all/later.ini');
    await waitFor('later removed on a', async () => (await a.vassal('later')) === undefined, 20000);

    // The fleet: both hosts live; a second emperor as host a is refused, naming the holder.
    const fleet = async (): Promise<FleetDocument> => JSON.parse((await ctl(a.stateDir, ['fleet', '--json'])).stdout) as FleetDocument;
    await waitFor('a and b in the fleet', async () => Object.keys(await fleet()).sort().join() === 'a,b', 20000);
    const second = await runEmperor(['--vassals', url, '--host-name', 'a', '--state-dir', `${a.stateDir}-second`, '--metrics', 'off']);
    assert.equal(second.code, 1);
    assert.match(second.output, /another emperor is live as host a .*pid \d+/);

    // Under --tyrant an etcd source is refused at start (a key has no owner to run as).
    if (root) {
      const tyrant = await runEmperor(['--vassals', url, '--tyrant', '--state-dir', `${a.stateDir}-tyrant`, '--metrics', 'off']);
      assert.equal(tyrant.code, 1);
      assert.match(tyrant.output, /refused under --tyrant/);
    }

    // b dies without revoking its lease: it leaves the fleet when the lease expires.
    b.child?.kill('SIGKILL');
    await b.waitExit();
    await waitFor('b gone from the fleet', async () => Object.keys(await fleet()).join() === 'a', 20000);
  } catch (err) {
    process.stderr.write(`--- emperor a ---\n${a.output.slice(-8000)}\n--- emperor b ---\n${b.output.slice(-8000)}\n---\n`);
    throw err;
  }
});

// What grew between two readings of etcd's counters.
function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(b).filter(([k, v]) => v !== (a[k] ?? 0)).map(([k, v]) => [k, v - (a[k] ?? 0)]));
}

// An emperor run to its exit (a refusal at start).
function runEmperor(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [EMPEROR_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EMPEROR_STATE_DIR: undefined } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
