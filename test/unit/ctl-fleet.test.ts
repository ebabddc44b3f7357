// `emperorctl fleet`: the table, JSON keyed by host, and a Prometheus file_sd list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFleet } from '../../src/cli/ctl-fleet.ts';
import type { FleetDocument } from '../../src/control/protocol.ts';

const fleet: FleetDocument = {
  b: { version: '0.1.0', pid: 20, metrics: null, totals: { vassals: 1, FATAL: 1 } },
  a: { version: '0.1.0', pid: 10, metrics: '10.0.0.1:9393', totals: { vassals: 3, RUNNING: 2, INVALID: 1 } },
};

test('the table lists every host, sorted, with its vassals by state', () => {
  const lines = renderFleet(fleet, 'table').trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^HOST\s+VERSION\s+PID\s+METRICS\s+VASSALS\s+RUNNING/);
  assert.match(lines[1] ?? '', /^a\s+0\.1\.0\s+10\s+10\.0\.0\.1:9393\s+3\s+2\s+0\s+0\s+0\s+1\s+0$/);
  assert.match(lines[2] ?? '', /^b\s+0\.1\.0\s+20\s+-\s+1\s+0\s+0\s+0\s+1\s+0\s+0$/);
  assert.equal(lines[3], '2 hosts live');
});

test('--json is keyed by host; --prometheus-sd lists the metrics addresses with a host label', () => {
  assert.deepEqual(Object.keys(JSON.parse(renderFleet(fleet, 'json')) as object), ['a', 'b']);
  assert.deepEqual(JSON.parse(renderFleet(fleet, 'sd')), [{ targets: ['10.0.0.1:9393'], labels: { host: 'a' } }]);
});
