// The control socket's table view of `status`: what the emperor sends, what emperorctl makes of it (the very
// table the stats document gives), the request that asks for it, and the answers of emperors without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatus } from '../../src/cli/ctl-format.ts';
import { viewOfReply, viewOfTable } from '../../src/cli/ctl-table.ts';
import { withStatusViews, type ControlConnection } from '../../src/control/control-server.ts';
import { STATUS_TABLE_COLUMNS, type ControlRequest, type StatsDocument, type VassalStats } from '../../src/control/protocol.ts';
import { parseRequest } from '../../src/control/request.ts';
import { statusTable } from '../../src/control/status-table.ts';

const now = 1700000000;

function vassal(name: string, over: Partial<VassalStats>): VassalStats {
  return {
    name, file: `/etc/emperor/vassals/${name}.ini`, dialect: 'vassal', state: 'RUNNING', pids: [], started_at: null, restarts: 0, last_exit: null, next_run: null,
    backoff_until: null, cpu_percent: null, rss_bytes: null, health: null, error: null, status_text: null, watchdog_restarts: 0, instances: [], ...over,
  };
}

const doc: StatsDocument = {
  version: '1.2.3', pid: 4242, started_at: now - 100, vassals_dir: '/etc/emperor/vassals',
  totals: { vassals: 4, RUNNING: 2, BACKOFF: 1, INVALID: 1 },
  vassals: [
    vassal('web', { pids: [1234], started_at: now - 3661, restarts: 3, cpu_percent: 0.44, rss_bytes: 31457280, last_exit: { code: 1, signal: null, at: now - 90 }, status_text: 'ready: "4" workers', health: 'passing',
      instances: [{ index: 0, pid: 1234, state: 'RUNNING', started_at: now - 3661, restarts: 3 }] }),
    vassal('queue-worker', { pids: [2001, 2002, 2003], started_at: now - 42, cpu_percent: 12.25, rss_bytes: 512, last_exit: { code: null, signal: 'SIGKILL', at: now - 86400 * 2 - 7200 } }),
    vassal('report', { state: 'BACKOFF', started_at: now - 5, restarts: 12, last_exit: { code: null, signal: null, at: now - 1 }, next_run: now + 3600 * 6 + 12 * 60, backoff_until: now + 3 }),
    vassal('bad', { state: 'INVALID', dialect: null, error: 'bad.ini:3: unknown key `stop-sigal`\nbad.ini:4: no command ✓' }),
  ],
  sources: [{ kind: 'dir', address: '/etc/emperor/vassals', healthy: true, detail: null }, { kind: 'etcd', address: 'http://10.0.0.1:2379/emperor', healthy: false, detail: 'refused' }],
};

const overTheWire = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

test('the table view draws the very table the stats document draws, in every colour and containment', () => {
  const view = viewOfReply(overTheWire({ v: 1, ok: true, result: statusTable(doc) }));
  assert.ok(view !== null);
  for (const colour of [false, true]) {
    for (const containment of ['cgroup', 'process-group', null] as const) {
      assert.equal(renderStatus(view, now, colour, containment), renderStatus(doc, now, colour, containment));
    }
  }
  const bare: StatsDocument = { ...doc, vassals: [], totals: { vassals: 0 } };
  delete bare.sources;
  const bareView = viewOfTable(overTheWire(statusTable(bare)) as ReturnType<typeof statusTable>);
  assert.equal(renderStatus(bareView, now, false), renderStatus(bare, now, false));
  assert.equal('sources' in bareView, false);
});

test('a table row carries the columns in STATUS_TABLE_COLUMNS order, and only those', () => {
  const t = statusTable(doc);
  assert.deepEqual(t.columns, STATUS_TABLE_COLUMNS);
  assert.deepEqual(t.rows[1], ['queue-worker', 'RUNNING', [2001, 2002, 2003], now - 42, 0, 12.25, 512, [null, 'SIGKILL', now - 86400 * 2 - 7200], null, null, null]);
  assert.deepEqual({ ...t, rows: [] }, { version: '1.2.3', pid: 4242, started_at: now - 100, vassals_dir: '/etc/emperor/vassals', totals: doc.totals, sources: doc.sources, columns: STATUS_TABLE_COLUMNS, rows: [] });
});

test('the table view is a fraction of the stats document on the wire', () => {
  const many: StatsDocument = { ...doc, vassals: Array.from({ length: 1000 }, (_, i) => ({ ...(doc.vassals[i % 3] as VassalStats), name: `v${String(i).padStart(4, '0')}` })) };
  const table = JSON.stringify(statusTable(many)).length;
  const full = JSON.stringify(many).length;
  assert.ok(table * 2.5 < full, `table view ${table} bytes, stats document ${full} bytes`);
});

test('viewOfReply: a whole stats document (an emperor from before views) is used as it is; anything else is null', () => {
  assert.equal(viewOfReply({ v: 1, ok: true, result: doc }), doc);
  const table = statusTable(doc);
  assert.equal(viewOfReply({ v: 1, ok: true, result: { ...table, columns: [...STATUS_TABLE_COLUMNS, 'more'] } }), null);
  assert.equal(viewOfReply({ v: 1, ok: true, result: { ...table, columns: [...STATUS_TABLE_COLUMNS].reverse() } }), null);
  assert.equal(viewOfReply({ v: 1, ok: true, result: { ...table, rows: 'x' } }), null);
  assert.equal(viewOfReply({ v: 1, ok: false, error: { code: 'bad-request', message: 'unknown command "status"' } }), null);
  for (const junk of [null, 1, 'x', [], { ok: true }, { ok: true, result: null }, { ok: true, result: {} }]) assert.equal(viewOfReply(junk), null);
});

test('parseRequest: status alone as before; view "table" asks for the table view; any other view is ignored, as before views', () => {
  assert.deepEqual(parseRequest('{"v":1,"cmd":"status"}'), { ok: true, request: { v: 1, cmd: 'status' } });
  assert.deepEqual(parseRequest('{"v":1,"cmd":"status","view":"table"}'), { ok: true, request: { v: 1, cmd: 'status', view: 'table' } });
  for (const view of ['"full"', '1', 'null', '{}']) assert.deepEqual(parseRequest(`{"v":1,"cmd":"status","view":${view}}`), { ok: true, request: { v: 1, cmd: 'status' } });
  assert.equal(parseRequest('{"v":2,"cmd":"status","view":"table"}').ok, false);
});

test('withStatusViews: the table view made from the handler\'s own snapshot; every other answer untouched', async () => {
  const conn = {} as ControlConnection;
  const seen: ControlRequest[] = [];
  const ok = { v: 1, ok: true as const, result: doc };
  const handler = withStatusViews(async (req) => {
    seen.push(req);
    return req.cmd === 'rescan' ? { v: 1, ok: false, error: { code: 'failed', message: 'no' } } : ok;
  });
  assert.deepEqual(await handler({ v: 1, cmd: 'status', view: 'table' }, conn), { v: 1, ok: true, result: statusTable(doc) });
  assert.equal(await handler({ v: 1, cmd: 'status' }, conn), ok);
  assert.equal(await handler({ v: 1, cmd: 'fleet' }, conn), ok);
  assert.deepEqual(await handler({ v: 1, cmd: 'rescan' }, conn), { v: 1, ok: false, error: { code: 'failed', message: 'no' } });
  assert.deepEqual(seen.map((r) => r.cmd), ['status', 'status', 'fleet', 'rescan']);
});

test('withStatusViews: one table view per event-loop turn, as the stats document; a refusal is not kept', async () => {
  const conn = {} as ControlConnection;
  let snapshots = 0;
  let refuse = true;
  const queued: Array<() => void> = [];
  const handler = withStatusViews(async () => {
    snapshots++;
    return refuse ? { v: 1, ok: false, error: { code: 'failed', message: 'busy' } } : { v: 1, ok: true, result: doc };
  }, (fn) => queued.push(fn));
  const table = { v: 1, cmd: 'status', view: 'table' } as const;
  assert.equal('error' in (await handler(table, conn)), true);
  refuse = false;
  const first = await handler(table, conn);
  assert.equal(await handler(table, conn), first, 'the same turn shares it');
  assert.equal(snapshots, 2);
  assert.deepEqual(await handler({ v: 1, cmd: 'status' }, conn), { v: 1, ok: true, result: doc });
  assert.equal(snapshots, 3, 'the stats document is not kept');
  for (const fn of queued.splice(0)) fn();
  assert.notEqual(await handler(table, conn), first, 'a later turn sees the fleet as it is then');
  assert.equal(snapshots, 4);
});
