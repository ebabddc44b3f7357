// Containment end to end: a vassal whose children escape their process group (setsid, double fork) leaves nothing
// behind when its file is deleted or when the emperor is SIGKILLed; --cgroup off keeps process groups; a bad
// --cgroup stops the start with the reason; the unit delegates. Markers: unusual sleep durations, ended by pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPEROR_BIN, EmperorUnderTest, alive, freePort, vassalFile, waitFor, withEmperor } from './harness.ts';
import { ownCgroupDir, probeCgroupDir, realCgroupSystem } from '../../src/io/cgroup-setup.ts';

const own = ownCgroupDir(realCgroupSystem);
const skip = realCgroupSystem.root && !('missing' in own) && probeCgroupDir(own.dir).procsWritable ? false : 'no writable cgroup v2 here (needs root and cgroup2)';

/** Pids of live processes whose command line is exactly `text`. */
function running(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').replace(/\0/g, ' ').trim() === text && alive(Number(name))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

// Ends leftovers of a marker (a failed test must not leave them running).
function endAll(text: string): number[] {
  const pids = running(text);
  for (const p of pids) process.kill(p, 'SIGKILL');
  return pids;
}

const escaping = (tag: string): string => vassalFile({ command: `/bin/sh -c "setsid sleep 4242.${tag} & (sleep 4244.${tag} &); sleep 4243.${tag} & wait"`, 'stop-timeout': '2s' });

test('a deleted vassal whose children called setsid or double-forked leaves nothing behind', { skip }, async () => {
  const markers = ['sleep 4242.31', 'sleep 4243.31', 'sleep 4244.31'];
  try {
    const port = await freePort();
    await withEmperor(['--metrics', `127.0.0.1:${port}`], async (e) => {
      assert.match(e.output, /containment: a cgroup per vassal under \/sys\/fs\/cgroup\S*\/emperor-[0-9a-f]{12} /);
      assert.match(await waitFor('metrics', () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())), /^emperor_cgroup_containment 1$/m);
      e.write('esc.ini', escaping('31'));
      await e.waitState('esc', 'RUNNING');
      await waitFor('every sleep running', () => markers.every((m) => running(m).length === 1));
      const t0 = Date.now();
      e.remove('esc.ini');
      await waitFor('the vassal gone from the stats', async () => (await e.vassal('esc')) === undefined);
      const gone = Date.now() - t0;
      for (const m of markers) assert.deepEqual(running(m), [], `${m} left behind`);
      process.stdout.write(`# deleted file to nothing left: ${gone} ms\n`);
    });
  } finally {
    for (const m of markers) assert.deepEqual(endAll(m), [], `${m} had to be ended by the test`);
  }
});

test('SIGKILL of the emperor: the guardian kills every cgroup, setsid and double-forked children too', { skip }, async () => {
  const markers = ['sleep 4242.32', 'sleep 4243.32', 'sleep 4244.32'];
  const e = new EmperorUnderTest();
  try {
    await e.start();
    e.write('esc.ini', escaping('32'));
    await e.waitState('esc', 'RUNNING');
    await waitFor('every sleep running', () => markers.every((m) => running(m).length === 1));
    await e.stop('SIGKILL');
    await waitFor('every sleep killed by the guardian', () => markers.every((m) => running(m).length === 0), 5000);
    // The next emperor starts clean on the same state directory.
    await e.relaunch();
    await e.waitState('esc', 'RUNNING');
    await waitFor('the sleeps again', () => markers.every((m) => running(m).length === 1));
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    assert.deepEqual(await e.cleanup(), []);
    await waitFor('a clean stop ends them all', () => markers.every((m) => running(m).length === 0), 5000).catch(() => {});
    for (const m of markers) assert.deepEqual(endAll(m), [], `${m} had to be ended by the test`);
  }
});

test('a daemon and the helper it double-forked: kept across an emperor restart (adopted in its cgroup), both stopped with its file', { skip }, async () => {
  const markers = ['sleep 4251.34', 'sleep 4252.34'];
  const e = new EmperorUnderTest();
  try {
    await e.start();
    const pidfile = join(e.root, 'd.pid');
    e.write('d.ini', vassalFile({ 'smart-attach-daemon': `${pidfile} (sleep 4252.34 &); sleep 4251.34 & echo $! > ${pidfile}`, 'stop-timeout': '2s' }));
    await e.waitState('d', 'RUNNING', 20000);
    await waitFor('daemon and helper running', () => markers.every((m) => running(m).length === 1));
    const [daemon] = running('sleep 4251.34');
    assert.match(readFileSync(`/proc/${daemon}/cgroup`, 'utf8'), /\/daemons\/d@0\.\d+$/m, 'the daemon runs in a daemons/ cgroup');
    await e.stop('SIGKILL');
    await e.relaunch();
    await e.waitState('d', 'RUNNING', 20000);
    assert.deepEqual(running('sleep 4251.34'), [daemon], 'adopted, not started twice');
    assert.equal(running('sleep 4252.34').length, 1, 'the guardian spares daemons');
    e.remove('d.ini');
    await waitFor('the daemon gone from the stats', async () => (await e.vassal('d')) === undefined, 15000);
    for (const m of markers) assert.deepEqual(running(m), [], `${m} left behind`);
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    await e.cleanup();
    for (const m of markers) endAll(m);
  }
});

test('--cgroup off keeps process groups: the group is stopped, a setsid child escapes (as the README says)', async () => {
  try {
    const port = await freePort();
    await withEmperor(['--cgroup', 'off', '--metrics', `127.0.0.1:${port}`], async (e) => {
      assert.match(await waitFor('metrics', () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())), /^emperor_cgroup_containment 0$/m);
      assert.match(e.output, /containment: process groups \(--cgroup off\)/);
      e.write('esc.ini', vassalFile({ command: '/bin/sh -c "setsid sleep 4242.33 & sleep 4243.33 & wait"', 'stop-timeout': '2s' }));
      await e.waitState('esc', 'RUNNING');
      await waitFor('both sleeps', () => running('sleep 4242.33').length === 1 && running('sleep 4243.33').length === 1);
      e.remove('esc.ini');
      await waitFor('the vassal gone', async () => (await e.vassal('esc')) === undefined);
      assert.deepEqual(running('sleep 4243.33'), [], 'the group is stopped');
      assert.equal(running('sleep 4242.33').length, 1, 'the setsid child escapes a process group');
    });
  } finally {
    endAll('sleep 4242.33');
    endAll('sleep 4243.33');
  }
});

test('--cgroup DIR that cannot be used stops the start with the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-cg-bad-'));
  try {
    const args = ['--vassals', dir, '--state-dir', join(dir, 'state'), '--metrics', 'off'];
    const notCg = spawnSync(process.execPath, [EMPEROR_BIN, ...args, '--cgroup', dir], { encoding: 'utf8', timeout: 20000 });
    assert.equal(notCg.status, 1);
    assert.match(notCg.stderr, new RegExp(`^emperor: --cgroup ${dir}: not a cgroup v2 directory`, 'm'));
    const relative = spawnSync(process.execPath, [EMPEROR_BIN, ...args, '--cgroup', 'some/dir'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(relative.status, 2);
    assert.match(relative.stderr, /--cgroup some\/dir: expected `off`, `auto` or the absolute path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the systemd unit delegates the cgroup (Delegate=yes) and verifies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-unit-'));
  try {
    const r = spawnSync(process.execPath, [EMPEROR_BIN, 'systemd-unit', '--vassals', dir, '--state-dir', join(dir, 'state')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.split('\n').includes('Delegate=yes'), r.stdout);
    const file = join(dir, 'emperor.service');
    writeFileSync(file, r.stdout);
    const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.doesNotMatch(verify.stderr, /emperor\.service/);
    assert.ok(existsSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
