// emperorctl status's containment line: told by the emperor's own cgroup, shown after the summary line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containmentOfCgroupFile } from '../../src/cli/ctl-containment.ts';
import { renderStatus } from '../../src/cli/ctl-format.ts';
import type { StatsDocument } from '../../src/control/protocol.ts';

test('an emperor in its subtree\'s supervisor leaf contains by cgroup; anywhere else, by process group', () => {
  assert.equal(containmentOfCgroupFile('0::/system.slice/emperor.service/emperor-0123456789ab/supervisor\n'), 'cgroup');
  assert.equal(containmentOfCgroupFile('12:pids:/\n1:name=systemd:/\n0::/emperor-0123456789ab/supervisor\n'), 'cgroup', 'a hybrid host');
  assert.equal(containmentOfCgroupFile('0::/system.slice/emperor.service\n'), 'process-group');
  assert.equal(containmentOfCgroupFile('0::/user.slice/supervisor\n'), 'process-group');
  assert.equal(containmentOfCgroupFile('0::/emperor-0123456789ab/vassals/web@0.1\n'), 'process-group', 'a vassal is not the emperor');
  assert.equal(containmentOfCgroupFile('1:name=systemd:/\n'), 'process-group', 'cgroup v1 only');
});

test('status: the containment line comes after the summary; the header stays the first line', () => {
  const doc: StatsDocument = { version: '1', pid: 1, started_at: 0, vassals_dir: '/v', totals: { vassals: 0 }, vassals: [] } as unknown as StatsDocument;
  const lines = renderStatus(doc, 0, false, 'cgroup').trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^NAME +STATE/);
  assert.deepEqual(lines.slice(-2), ['0 vassals', 'containment: a cgroup per vassal instance']);
  assert.equal(renderStatus(doc, 0, false, 'process-group').trimEnd().split('\n').at(-1), 'containment: process groups (a process that leaves its group escapes)');
  assert.equal(renderStatus(doc, 0, false), renderStatus(doc, 0, false, null));
  assert.doesNotMatch(renderStatus(doc, 0, false), /containment/, 'unknown: no line');
});
