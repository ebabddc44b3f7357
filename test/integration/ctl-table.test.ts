// `emperorctl status` reads the control socket's table view, and the stats socket when that gives none: the
// same table either way, from both entries (bin/emperorctl.cjs, bin/emperorctl.js), with or without dist/cjs/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPERORCTL_BIN, ROOT, ctl, runProgram, vassalFile, withEmperor } from './harness.ts';
import { askOnce } from '../../src/cli/ctl-client.ts';
import { renderStatus } from '../../src/cli/ctl-format.ts';
import { viewOfReply } from '../../src/cli/ctl-table.ts';
import { STATUS_TABLE_COLUMNS, type StatsDocument, type StatusTable } from '../../src/control/protocol.ts';

const ESM_BIN = join(ROOT, 'bin/emperorctl.js');
/** Uptimes and ages tick between two runs: every duration becomes `T`. */
const timeless = (text: string): string => text.replace(/\b\d+[smhd](\d+[smh])?\b/g, 'T');

test('status: the table view, the stats socket (--stats alone, an unreachable control socket) and the ES module entry print the same table', async () => {
  await withEmperor(['--metrics', 'off'], async (e) => {
    e.write('web.ini', vassalFile({ command: 'sleep 100000' }));
    e.write('bad.ini', '[vassal]\ncommand = sleep 1\nstop-sigal = TERM\n');
    await e.waitState('web', 'RUNNING');
    await e.waitState('bad', 'INVALID');
    // The emperor answers the table view, drawn as the stats document is.
    const reply = (await askOnce(join(e.stateDir, 'control.sock'), { v: 1, cmd: 'status', view: 'table' })) as { ok: true; result: StatusTable };
    assert.deepEqual([reply.ok, reply.result.columns, reply.result.rows.map((r) => r[0])], [true, STATUS_TABLE_COLUMNS, ['bad', 'web']]);
    const stats = await e.stats();
    const pick = (vs: Array<{ name: string; state: string; pids: number[]; started_at: number | null; error: string | null }>): unknown[] => vs.map((v) => [v.name, v.state, v.pids, v.started_at, v.error]);
    assert.deepEqual(pick(viewOfReply(reply)?.vassals ?? []), pick(stats.vassals));
    const viaTable = await ctl(e.stateDir, ['status']);
    assert.equal(viaTable.status, 0, viaTable.stderr);
    assert.match(viaTable.stdout, /^bad +INVALID /m);
    for (const args of [['--stats', e.statsPath, 'status'], ['--socket', join(e.root, 'no-such.sock'), 'status']]) {
      const r = await ctl(e.stateDir, args);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(timeless(r.stdout), timeless(viaTable.stdout), args.join(' '));
    }
    const esm = await runProgram([process.execPath, ESM_BIN, 'status'], 30000, { NO_COLOR: undefined, EMPEROR_STATE_DIR: e.stateDir });
    assert.equal(esm.status, 0, esm.stderr);
    assert.equal(timeless(esm.stdout), timeless(viaTable.stdout));
    const named = await ctl(e.stateDir, ['status', 'web', 'nope']);
    assert.equal(named.status, 1);
    assert.match(named.stdout, /^web +RUNNING /m);
    assert.doesNotMatch(named.stdout, /^bad /m);
    assert.match(named.stderr, /no vassal named nope/);
  });
});

// A stats document whose table has nothing that moves with the clock, and an emperor pid with no /proc entry.
const DOC: StatsDocument = {
  version: '0.0.1', pid: 999_999_999, started_at: 1, vassals_dir: '/srv/vassals', totals: { vassals: 2, STOPPED: 1, INVALID: 1 },
  vassals: [
    { name: 'idle', file: '/srv/vassals/idle.ini', dialect: 'vassal', state: 'STOPPED', pids: [], started_at: null, restarts: 2, last_exit: null, next_run: null,
      backoff_until: null, cpu_percent: null, rss_bytes: null, health: null, error: null, status_text: null, watchdog_restarts: 0, instances: [] },
    { name: 'broken', file: '/srv/vassals/broken.ini', dialect: null, state: 'INVALID', pids: [], started_at: null, restarts: 0, last_exit: null, next_run: null,
      backoff_until: null, cpu_percent: null, rss_bytes: null, health: null, error: 'broken.ini:1: no command', status_text: null, watchdog_restarts: 0, instances: [] },
  ],
};

/** A stand-in emperor: its stats socket serves DOC; its control socket answers every line with `answer`. */
async function fakeEmperor(dir: string, answer: unknown): Promise<{ control: string; stats: string; asked: string[]; close: () => void }> {
  const asked: string[] = [];
  const listen = (server: Server, path: string): Promise<void> => new Promise((resolve) => server.listen(path, resolve));
  const stats = createServer((s) => s.end(JSON.stringify(DOC)));
  const control = createServer((s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      asked.push(d.toString().trim());
      s.write(JSON.stringify(answer) + '\n');
    });
  });
  await listen(stats, join(dir, 'stats.sock'));
  await listen(control, join(dir, 'control.sock'));
  return { control: join(dir, 'control.sock'), stats: join(dir, 'stats.sock'), asked, close: () => (stats.close(), control.close()) };
}

test('status: an emperor that refuses the table view, or answers it with the whole stats document, gets the same table', async () => {
  const expected = renderStatus(DOC, 0, false, null);
  for (const answer of [
    { v: 1, ok: false, error: { code: 'bad-request', message: 'unknown command "status"' } },
    { v: 1, ok: true, result: DOC },
    { v: 1, ok: true, result: { columns: ['name', 'some', 'other', 'layout'], rows: [] } },
  ]) {
    const dir = mkdtempSync(join(tmpdir(), 'ctl-table-'));
    const fake = await fakeEmperor(dir, answer);
    try {
      for (const bin of [EMPERORCTL_BIN, ESM_BIN]) {
        const r = await runProgram([process.execPath, bin, 'status'], 30000, { NO_COLOR: undefined, EMPEROR_STATE_DIR: dir });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, expected, `${bin} with the answer ${JSON.stringify(answer).slice(0, 80)}`);
      }
      assert.deepEqual(fake.asked.map((l) => JSON.parse(l) as unknown), [0, 1].map(() => ({ v: 1, cmd: 'status', view: 'table' })));
    } finally {
      fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('status: an emperor that takes the connection and never answers is reported once, without a second wait on the stats socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-table-'));
  let statsConnections = 0;
  const held: Array<{ destroy: () => void }> = [];
  const control = createServer((s) => void held.push(s));
  const stats = createServer((s) => {
    statsConnections++;
    held.push(s);
  });
  await new Promise<void>((resolve) => control.listen(join(dir, 'control.sock'), resolve));
  await new Promise<void>((resolve) => stats.listen(join(dir, 'stats.sock'), resolve));
  try {
    const r = await runProgram([process.execPath, EMPERORCTL_BIN, 'status'], 30000, { NO_COLOR: undefined, EMPEROR_STATE_DIR: dir });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /cannot reach the emperor at .*control\.sock \(timed out\)/);
    assert.equal(statsConnections, 0);
  } finally {
    for (const s of held) s.destroy();
    control.close();
    stats.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bin/emperorctl.cjs without dist/cjs/ (built by an older build) runs the ES module entry', async () => {
  const tree = mkdtempSync(join(tmpdir(), 'ctl-nocjs-'));
  const dir = mkdtempSync(join(tmpdir(), 'ctl-table-'));
  const fake = await fakeEmperor(dir, { v: 1, ok: true, result: DOC });
  try {
    cpSync(join(ROOT, 'bin'), join(tree, 'bin'), { recursive: true });
    mkdirSync(join(tree, 'dist'));
    symlinkSync(join(ROOT, 'dist/cli'), join(tree, 'dist/cli'));
    for (const d of ['control', 'core']) symlinkSync(join(ROOT, 'dist', d), join(tree, 'dist', d));
    const bin = join(tree, 'bin/emperorctl.cjs');
    const r = await runProgram([process.execPath, bin, 'status'], 30000, { NO_COLOR: undefined, EMPEROR_STATE_DIR: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, renderStatus(DOC, 0, false, null));
    const version = await runProgram([process.execPath, bin, '--version'], 30000, {});
    assert.deepEqual([version.status, version.stdout], [0, 'emperorctl (protocol v1)\n']);
    const unknown = await runProgram([process.execPath, bin, 'frobnicate'], 30000, {});
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command frobnicate/);
  } finally {
    fake.close();
    rmSync(tree, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
