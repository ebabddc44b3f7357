// emperorctl status of a large fleet, from a stats socket of our own: every row reaches a reader that is slow to
// read (emperorctl exits as soon as its output is flushed, never before), and the stats are read while the
// table's code loads (an unreachable socket still ends in exit 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPERORCTL_BIN, waitFor } from './harness.ts';

const N = 3000;

function bigDocument(): Record<string, unknown> {
  const now = Date.now() / 1000;
  const vassals = Array.from({ length: N }, (_, i) => ({
    name: `worker-${String(i).padStart(4, '0')}`,
    file: `/etc/emperor/vassals/worker-${i}.ini`,
    dialect: 'vassal',
    state: i % 10 === 0 ? 'BACKOFF' : 'RUNNING',
    pids: i % 10 === 0 ? [] : [100000 + i],
    started_at: now - i,
    restarts: i % 7,
    last_exit: i % 10 === 0 ? { code: 1, signal: null, at: now - 2 } : null,
    next_run: null,
    backoff_until: null,
    cpu_percent: i % 3 === 0 ? null : 0.5,
    rss_bytes: 1_000_000 + i,
    health: null,
    error: null,
    status_text: null,
    watchdog_restarts: 0,
    instances: [],
  }));
  // pid 0 has no /proc entry: no containment line.
  return { version: '0.0.0', pid: 0, started_at: now - 100, vassals_dir: '/etc/emperor/vassals', totals: { vassals: N, RUNNING: N - N / 10, BACKOFF: N / 10 }, vassals };
}

/** Runs emperorctl with stdout a pipe nobody reads for `holdMs`, then reads it all. */
function runSlowReader(args: string[], holdMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [EMPERORCTL_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    let stderr = '';
    let status: number | null | undefined;
    let ended = false;
    // Both the exit and the end of what it wrote (a child can be gone before its output is read).
    const done = (): void => {
      if (status !== undefined && ended) resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr });
    };
    // A 'readable' listener holds the output unread (a paused stream is drained by Node itself when the child
    // exits first, which an output that fits the socket's buffer lets it do).
    const hold = (): void => {};
    child.stdout.on('readable', hold);
    setTimeout(() => {
      child.stdout.off('readable', hold);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stdout.on('end', () => {
        ended = true;
        done();
      });
      child.stdout.resume();
    }, holdMs);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      status = code;
      done();
    });
  });
}

test('status of 3,000 vassals: every row and the summary reach a slow reader; --json is the document as served', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-ctl-large-'));
  const path = join(dir, 'stats.sock');
  const doc = bigDocument();
  const text = JSON.stringify(doc);
  const server: Server = createServer((sock) => {
    sock.on('error', () => {});
    sock.end(text);
  });
  try {
    await new Promise<void>((r) => server.listen(path, r));
    const table = await runSlowReader(['--stats', path, 'status'], 300);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME +STATE +PID +UPTIME +RESTARTS +CPU +RSS +LAST EXIT$/);
    assert.equal(lines.length, 1 + N + 1, 'the header, a row per vassal, the summary');
    assert.match(lines[1] ?? '', /^worker-0000 +BACKOFF +- +- +0 +- +976\.6K +code 1, \d+s ago$/);
    assert.match(lines[N] ?? '', /^worker-2999 +RUNNING +102999 +/);
    assert.equal(lines.at(-1), `${N} vassals: ${N - N / 10} RUNNING, ${N / 10} BACKOFF`);
    const json = await runSlowReader(['--stats', path, 'status', '--json'], 300);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), doc);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status: the stats socket is asked before the table loads, and an unreachable one still ends in exit 3', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-ctl-large-'));
  try {
    const r = await runSlowReader(['--stats', join(dir, 'none.sock'), 'status'], 0);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /^emperorctl: cannot reach the emperor at .*none\.sock \(ENOENT\)/);
    assert.doesNotMatch(r.stderr, /Unhandled|\n +at /, 'no stack trace');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    // A socket that answers with something else: the same exit, named.
    const path = join(dir, 'junk.sock');
    const server = createServer((sock) => sock.end('not json'));
    await new Promise<void>((res) => server.listen(path, res));
    try {
      const junk = await waitFor('an answer', () => runSlowReader(['--stats', path, 'status'], 0));
      assert.equal(junk.status, 3, junk.stderr);
      assert.match(junk.stderr, /not a stats document/);
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
