import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyChange } from '../../src/core/spec-change.ts';
import { SUPERVISION_KEYS, type VassalSpec } from '../../src/config/spec.ts';
import { makeSpec } from './make-spec.ts';

// One different value for every supervision-only key (SPEC section 4), and for instances.
const SUPERVISION_CHANGES: Array<[keyof VassalSpec, Partial<VassalSpec>]> = [
  ['autostart', { autostart: false }],
  ['restart', { restart: 'on-failure' }],
  ['exitCodes', { exitCodes: [0, 2] }],
  ['startSecs', { startSecs: 5000 }],
  ['startRetries', { startRetries: 3 }],
  ['backoff', { backoff: 2000 }],
  ['backoffMax', { backoffMax: 120_000 }],
  ['stopSignal', { stopSignal: 'SIGINT' }],
  ['stopTimeout', { stopTimeout: 30_000 }],
  ['reloadSignal', { reloadSignal: 'SIGHUP' }],
  ['logMaxSize', { logMaxSize: 1024 * 1024 }],
  ['logBackups', { logBackups: 0 }],
  ['depends', { depends: ['db'] }],
  ['healthCheck', { healthCheck: 'http://127.0.0.1:8080/health' }],
  ['healthInterval', { healthInterval: 30_000 }],
  ['healthTimeout', { healthTimeout: 5000 }],
  ['healthRetries', { healthRetries: 5 }],
  ['maxRss', { maxRss: 512 * 1024 * 1024 }],
  ['alarm', { alarm: ['pager'] }],
  ['schedule', { schedule: '@daily' }],
  ['scheduleTimezone', { scheduleTimezone: 'UTC' }],
  ['overlap', { overlap: 'kill' }],
  ['catchUp', { catchUp: true }],
  ['instances', { instances: 4 }],
];

// Keys that shape the process: any change restarts it so the new values apply.
const SHAPING_CHANGES: Array<[keyof VassalSpec, Partial<VassalSpec>]> = [
  ['command', { command: ['/usr/bin/node', 'server.js', '--port', '8080'] }],
  ['env', { env: [['PORT', '8080']] }],
  ['directory', { directory: '/srv/web' }],
  ['user', { user: 'www-data' }],
  ['group', { group: 'www-data' }],
  ['umask', { umask: 0o027 }],
  ['log', { log: '/var/log/web.log' }],
  ['stdoutLog', { stdoutLog: 'web.out' }],
  ['stderrLog', { stderrLog: 'web.err' }],
  ['name', { name: 'web2' }],
  ['file', { file: '/etc/emperor/vassals/web.conf' }],
  ['dialect', { dialect: 'supervisord' }],
  ['pidfile', { pidfile: '/run/web.pid', command: ['/bin/sh', '-c', 'web --daemon'] }],
  ['pidfileBy', { pidfileBy: 'emperor' }],
  ['uwsgiApp', { uwsgiApp: true }],
  // A new address is a new socket: the instances must get its descriptor.
  ['socket', { socket: { kind: 'tcp', host: '127.0.0.1', port: 8080 } }],
  // Limits are written when an instance's cgroup is made: a new limit needs new instances.
  ['memoryMax', { memoryMax: 512 * 1024 * 1024 }],
  ['cpuWeight', { cpuWeight: 200 }],
  ['pidsMax', { pidsMax: 64 }],
];

test('identical specs (a touch) are a touch, even as fresh copies', () => {
  assert.equal(classifyChange(makeSpec(), makeSpec()), 'touch');
  const spec = makeSpec({ env: [['A', '1']], depends: ['db'], exitCodes: [0, 3] });
  assert.equal(classifyChange(spec, spec), 'touch');
  assert.equal(classifyChange(spec, structuredClone(spec)), 'touch');
});

test('only `lines` changed (comments, moved keys) is a touch', () => {
  assert.equal(classifyChange(makeSpec({ lines: { command: 2 } }), makeSpec({ lines: { command: 7, env: 8 } })), 'touch');
});

test('each supervision-only key and instances, changed alone, is a supervision change', () => {
  for (const [key, change] of SUPERVISION_CHANGES) {
    const before = makeSpec();
    const after = makeSpec(change);
    assert.notDeepEqual(before[key], after[key], `${key} must really differ`);
    assert.equal(classifyChange(before, after), 'supervision', key);
    assert.equal(classifyChange(after, before), 'supervision', `${key} (back)`);
  }
});

test('the table above covers every key of SUPERVISION_KEYS', () => {
  const covered = new Set(SUPERVISION_CHANGES.map(([key]) => key));
  for (const key of SUPERVISION_KEYS) assert.ok(covered.has(key), `${key} has no case`);
});

test('several supervision-only keys together are still a supervision change', () => {
  const after = makeSpec({ restart: 'never', startSecs: 0, backoff: 500, stopTimeout: 1000, instances: 2 });
  assert.equal(classifyChange(makeSpec(), after), 'supervision');
});

test('each process-shaping key, changed alone, restarts', () => {
  for (const [key, change] of SHAPING_CHANGES) {
    const before = makeSpec();
    const after = makeSpec(change);
    assert.notDeepEqual(before[key], after[key], `${key} must really differ`);
    assert.equal(classifyChange(before, after), 'restart', key);
    assert.equal(classifyChange(after, before), 'restart', `${key} (back)`);
  }
});

test('a process-shaping change wins over supervision-only changes, whatever the key order', () => {
  const after = makeSpec({ restart: 'never', stopTimeout: 1000, command: ['/usr/bin/node', 'other.js'] });
  assert.equal(classifyChange(makeSpec(), after), 'restart');
  const shapingFirst = makeSpec({ command: ['/bin/true'] });
  const reordered: VassalSpec = { ...shapingFirst, restart: 'never' };
  assert.equal(classifyChange(makeSpec(), reordered), 'restart');
});

test('env order and duplicates matter: a reordered env restarts', () => {
  const before = makeSpec({ env: [['A', '1'], ['A', '2']] });
  const after = makeSpec({ env: [['A', '2'], ['A', '1']] });
  assert.equal(classifyChange(before, after), 'restart');
});

test('a change inside the command words or %i placeholders restarts', () => {
  const before = makeSpec({ command: ['/usr/bin/node', 'server.js', '--port', '800\uE000'] });
  const after = makeSpec({ command: ['/usr/bin/node', 'server.js', '--port', '900\uE000'] });
  assert.equal(classifyChange(before, after), 'restart');
});

test('every key of a spec is classified by one of these tables', () => {
  const known = new Set<string>([
    ...SUPERVISION_CHANGES.map(([key]) => key),
    ...SHAPING_CHANGES.map(([key]) => key),
    'lines',
    'instanceNames',
  ]);
  for (const key of Object.keys(makeSpec())) assert.ok(known.has(key), `${key} is not covered by a test`);
});

test('display-only keys (process names) are a touch', () => {
  assert.equal(classifyChange(makeSpec(), makeSpec({ instanceNames: ['web_00'] })), 'touch');
});
