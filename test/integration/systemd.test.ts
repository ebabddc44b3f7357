// sd_notify without systemd: a stand-in receiver (test/fixtures/notify-receiver.py) sees READY,
// STATUS, WATCHDOG pings, RELOADING/READY on SIGHUP and STOPPING; vassals never see NOTIFY_SOCKET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EmperorUnderTest, FIXTURES, vassalFile, waitFor } from './harness.ts';

interface Note {
  t: number;
  /** the sender's pid, from its credentials */
  pid: number;
  msg: string;
}

class Receiver {
  readonly notes: Note[] = [];
  private constructor(private readonly child: ChildProcess) {}

  static async listen(address: string): Promise<Receiver> {
    const child = spawn('python3', [join(FIXTURES, 'notify-receiver.py'), address], { stdio: ['ignore', 'pipe', 'inherit'] });
    const r = new Receiver(child);
    let listening = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'listening') listening = true;
      else r.notes.push(JSON.parse(line) as Note);
    });
    await waitFor('the receiver to listen', () => listening);
    return r;
  }

  /** Notes holding `field` (e.g. READY=1), in order. */
  with(field: string): Note[] {
    return this.notes.filter((n) => n.msg.split('\n').includes(field));
  }

  waitFor(field: string, count = 1, timeoutMs = 10000): Promise<Note[]> {
    return waitFor(`${count} × ${field} (got: ${JSON.stringify(this.notes.map((n) => n.msg))})`, () => {
      const got = this.with(field);
      return got.length >= count ? got : null;
    }, timeoutMs);
  }

  close(): void {
    this.child.kill('SIGKILL');
  }
}

const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);

test('sd_notify on an abstract socket: READY once every autostart vassal started, STATUS, WATCHDOG, RELOADING/READY, STOPPING', async () => {
  const address = `@emperor-test-${process.pid}-${Date.now()}`;
  const rx = await Receiver.listen(address);
  const e = new EmperorUnderTest();
  e.env.NOTIFY_SOCKET = address;
  e.env.WATCHDOG_USEC = '400000';
  e.env.WATCHDOG_PID = undefined;
  try {
    e.write('a.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    e.write('b.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' }));
    // READY does not wait for a vassal whose depends are not RUNNING (nor ever will be here).
    e.write('late.ini', vassalFile({ command: 'sleep 100000', depends: 'held' }));
    e.write('held.ini', vassalFile({ command: 'sleep 100000', autostart: 'false' }));
    await e.start();
    const [ready] = await rx.waitFor('READY=1');
    assert.ok(ready !== undefined);
    // Everything autostart was spawned by the time READY went out.
    const doc = await e.stats();
    for (const name of ['a', 'b']) assert.ok((doc.vassals.find((v) => v.name === name)?.pids.length ?? 0) > 0, `${name} has a pid at READY`);
    assert.match(ready.msg, /^STATUS=4 vassals: /m);
    // Vassals never see systemd's variables.
    const pid = doc.vassals.find((v) => v.name === 'a')?.pids[0] ?? 0;
    const env = environ(pid);
    for (const name of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) assert.ok(!env.some((kv) => kv.startsWith(`${name}=`)), `${name} not passed to vassals`);
    // STATUS follows the counts: a and b reach RUNNING.
    await e.waitState('a', 'RUNNING');
    await e.waitState('b', 'RUNNING');
    await waitFor('a STATUS line with 2 RUNNING', () => rx.notes.some((n) => /^STATUS=4 vassals: .*2 RUNNING/m.test(n.msg)));
    // WATCHDOG=1 at half of WATCHDOG_USEC: several pings, each well inside the 400 ms deadline.
    const pings = await rx.waitFor('WATCHDOG=1', 4);
    const gaps = pings.slice(1).map((p, i) => p.t - (pings[i]?.t ?? 0));
    assert.ok(gaps.every((g) => g < 0.4), `pings every < 400 ms: ${gaps.map((g) => g.toFixed(3)).join(' ')}`);
    // SIGHUP: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, as the receiver's clock), then READY=1 again.
    e.child?.kill('SIGHUP');
    const [reloading] = await rx.waitFor('RELOADING=1');
    const usec = Number(/^MONOTONIC_USEC=(\d+)$/m.exec(reloading?.msg ?? '')?.[1]);
    assert.ok(Math.abs(usec / 1e6 - (reloading?.t ?? 0)) < 5, `MONOTONIC_USEC ${usec} near the receiver's monotonic clock ${reloading?.t}`);
    const readies = await rx.waitFor('READY=1', 2);
    assert.ok((readies[1]?.t ?? 0) >= (reloading?.t ?? Infinity), 'READY=1 follows RELOADING=1');
    const emperorPid = e.pid;
    await e.stop('SIGTERM');
    await rx.waitFor('STOPPING=1');
    assert.equal(e.exitCode, 0);
    // Every message came from the emperor's own pid: what NotifyAccess=main accepts.
    assert.deepEqual([...new Set(rx.notes.map((n) => n.pid))], [emperorPid]);
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    rx.close();
    assert.deepEqual(await e.cleanup(), []);
  }
});

test('sd_notify on a socket path, without a watchdog: READY and no pings; a bad NOTIFY_SOCKET is a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-notify-'));
  const rx = await Receiver.listen(join(dir, 'notify'));
  const e = new EmperorUnderTest();
  e.env.NOTIFY_SOCKET = join(dir, 'notify');
  e.env.WATCHDOG_USEC = undefined;
  const bad = new EmperorUnderTest();
  bad.env.NOTIFY_SOCKET = 'relative/notify';
  try {
    e.write('a.ini', vassalFile({ command: 'sleep 100000' }));
    await e.start();
    await rx.waitFor('READY=1');
    assert.equal(rx.with('WATCHDOG=1').length, 0);
    await bad.start();
    await waitFor('a warning about NOTIFY_SOCKET', () => /NOTIFY_SOCKET=relative\/notify is neither an absolute path nor an abstract @name; not notifying systemd/.test(bad.output));
  } finally {
    rx.close();
    assert.deepEqual(await e.cleanup(), []);
    assert.deepEqual(await bad.cleanup(), []);
    rmSync(dir, { recursive: true, force: true });
  }
});
