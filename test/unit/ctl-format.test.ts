// The status table, pinned: columns, units, the lines under a row, colour, sources and containment exactly as printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatus } from '../../src/cli/ctl-format.ts';
import type { StatsDocument } from '../../src/control/protocol.ts';

const now = 1700000000;
const doc = {
  version: '1', pid: 1, started_at: 0, vassals_dir: '/etc/emperor/vassals',
  totals: { vassals: 4, RUNNING: 2, BACKOFF: 1, INVALID: 1, FATAL: 0 },
  vassals: [
    { name: 'web', state: 'RUNNING', pids: [1234], started_at: now - 3661, restarts: 3, cpu_percent: 0.44, rss_bytes: 31457280, last_exit: { code: 1, signal: null, at: now - 90 }, error: null, status_text: 'ready: 4 workers', next_run: null },
    { name: 'queue-worker', state: 'RUNNING', pids: [2001, 2002, 2003], started_at: now - 42, restarts: 0, cpu_percent: 12.25, rss_bytes: 512, last_exit: { code: null, signal: 'SIGKILL', at: now - 86400 * 2 - 7200 }, error: null, status_text: null, next_run: null },
    { name: 'report', state: 'BACKOFF', pids: [], started_at: now - 5, restarts: 12, cpu_percent: null, rss_bytes: null, last_exit: { code: null, signal: null, at: now - 1 }, error: null, status_text: null, next_run: now + 3600 * 6 + 12 * 60 },
    { name: 'bad', state: 'INVALID', pids: [], started_at: null, restarts: 0, cpu_percent: null, rss_bytes: null, last_exit: null, error: 'bad.ini:3: unknown key `stop-sigal`\nbad.ini:4: no command', next_run: null },
  ],
  sources: [{ kind: 'dir', address: '/etc/emperor/vassals', healthy: true, detail: null }, { kind: 'etcd', address: 'http://10.0.0.1:2379/emperor', healthy: false, detail: 'connection refused' }],
};

const table = (rows: string[]): string => rows.join('\n') + '\n';

test('status table: aligned columns, human units, error, status and next-run lines, sources, containment', () => {
  assert.equal(renderStatus(doc as unknown as StatsDocument, now, false, 'cgroup'), table([
    'NAME          STATE    PID      UPTIME  RESTARTS  CPU    RSS    LAST EXIT',
    'web           RUNNING  1234     1h1m    3         0.4%   30.0M  code 1, 1m30s ago',
    '  status: ready: 4 workers',
    'queue-worker  RUNNING  2001 +2  42s     0         12.3%  512B   SIGKILL, 2d2h ago',
    'report        BACKOFF  -        -       12        -      -      code ?, 1s ago',
    '  next run in 6h12m (2023-11-15T04:25:20.000Z)',
    'bad           INVALID  -        -       0         -      -      -',
    '  bad.ini:3: unknown key `stop-sigal`',
    '  bad.ini:4: no command',
    '4 vassals: 2 RUNNING, 1 BACKOFF, 1 INVALID',
    'source dir /etc/emperor/vassals: ok',
    'source etcd http://10.0.0.1:2379/emperor: NOT OK (connection refused)',
    'containment: a cgroup per vassal instance',
  ]));
});

test('status table on a TTY: a bold header, the state in its colour, errors in red', () => {
  assert.equal(renderStatus(doc as unknown as StatsDocument, now, true, null), table([
    '\x1b[1mNAME        \x1b[0m  \x1b[1mSTATE  \x1b[0m  \x1b[1mPID    \x1b[0m  \x1b[1mUPTIME\x1b[0m  \x1b[1mRESTARTS\x1b[0m  \x1b[1mCPU  \x1b[0m  \x1b[1mRSS  \x1b[0m  \x1b[1mLAST EXIT\x1b[0m',
    'web           \x1b[32mRUNNING\x1b[0m  1234     1h1m    3         0.4%   30.0M  code 1, 1m30s ago',
    '  status: ready: 4 workers',
    'queue-worker  \x1b[32mRUNNING\x1b[0m  2001 +2  42s     0         12.3%  512B   SIGKILL, 2d2h ago',
    'report        \x1b[33mBACKOFF\x1b[0m  -        -       12        -      -      code ?, 1s ago',
    '  next run in 6h12m (2023-11-15T04:25:20.000Z)',
    'bad           \x1b[31;1mINVALID\x1b[0m  -        -       0         -      -      -',
    '  \x1b[31mbad.ini:3: unknown key `stop-sigal`\x1b[0m',
    '  \x1b[31mbad.ini:4: no command\x1b[0m',
    '4 vassals: 2 RUNNING, 1 BACKOFF, 1 INVALID',
    'source dir /etc/emperor/vassals: ok',
    'source etcd http://10.0.0.1:2379/emperor: NOT OK (connection refused)',
  ]));
});

test('status table of no vassals: where it looked, and the containment', () => {
  const empty = { version: '1', pid: 1, started_at: 0, vassals_dir: '/v', totals: { vassals: 0 }, vassals: [] };
  assert.equal(renderStatus(empty as unknown as StatsDocument, now, false, 'process-group'), table([
    'NAME  STATE  PID  UPTIME  RESTARTS  CPU  RSS  LAST EXIT',
    '(no vassals in /v)',
    '0 vassals',
    'containment: process groups (a process that leaves its group escapes)',
  ]));
});
