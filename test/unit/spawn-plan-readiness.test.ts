// The readiness fields of the spawn plan, as data: NOTIFY_SOCKET, the watchdog's variables and shim, the uWSGI Emperor pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSpawn, SETPRIV, SHIM, WATCHDOG_SHIM, type PlanContext, type RunAs } from '../../src/runtime/spawn-plan.ts';
import { makeSpec } from './make-spec.ts';

const CTX: PlanContext = {
  baseEnv: { PATH: '/usr/bin:/bin', NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '1000', WATCHDOG_PID: '1' },
  logDir: '/var/log/emperor',
  uwsgi: '/usr/bin/uwsgi',
  ownUid: 0,
  runAs: null,
  listenFd: null,
};
const ALICE: RunAs = {
  account: { name: 'alice', uid: 1001, gid: 1001, home: '/home/alice', shell: '/bin/bash', known: true },
  gid: 1001,
  loginGroups: [1001],
};

test('without readiness inputs: none of systemd\'s own variables, no emperor pipe', () => {
  const p = planSpawn(makeSpec(), 0, CTX);
  assert.equal(p.env.NOTIFY_SOCKET, undefined);
  assert.equal(p.env.WATCHDOG_USEC, undefined);
  assert.equal(p.env.UWSGI_EMPEROR_FD, undefined);
  assert.equal('emperorFd' in p, false);
  assert.deepEqual(planSpawn(makeSpec(), 0, { ...CTX, readiness: null }), p);
});

test('notify: the emperor\'s notify socket; with a watchdog, WATCHDOG_USEC and the WATCHDOG_PID shim behind setpriv', () => {
  const readiness = { notifySocket: '/run/emperor/notify.sock', watchdogUsec: 5_000_000, emperorFd: null };
  const p = planSpawn(makeSpec({ user: 'alice' }), 0, { ...CTX, runAs: ALICE, readiness });
  assert.equal(p.env.NOTIFY_SOCKET, '/run/emperor/notify.sock');
  assert.equal(p.env.WATCHDOG_USEC, '5000000');
  assert.equal(p.env.WATCHDOG_PID, undefined, 'set by the shim, in the child');
  assert.deepEqual(p.argv, [SETPRIV, '--reuid=1001', '--init-groups', '--regid=1001', '--', ...WATCHDOG_SHIM, '/usr/bin/node', 'server.js']);
  const both = planSpawn(makeSpec(), 0, { ...CTX, listenFd: 7, readiness });
  assert.deepEqual(both.argv, [...WATCHDOG_SHIM, ...SHIM, '/usr/bin/node', 'server.js'], 'each shim execs the next, the pid stays the program\'s');
  const plain = planSpawn(makeSpec(), 0, { ...CTX, readiness: { ...readiness, watchdogUsec: null } });
  assert.deepEqual(plain.argv, ['/usr/bin/node', 'server.js']);
  assert.equal(plain.env.WATCHDOG_USEC, undefined);
});

test('the uWSGI Emperor pipe: its child end as the plan\'s emperorFd, UWSGI_EMPEROR_FD=3, no socket activation variables', () => {
  const p = planSpawn(makeSpec({ uwsgiApp: true, command: ['uwsgi', '--ini', '/v/web.ini'] }), 0, { ...CTX, readiness: { notifySocket: null, watchdogUsec: null, emperorFd: 42 } });
  assert.equal(p.emperorFd, 42);
  assert.equal(p.listenFd, null);
  assert.equal(p.env.UWSGI_EMPEROR_FD, '3');
  assert.equal(p.env.LISTEN_FDS, undefined);
  assert.deepEqual(p.argv, ['/usr/bin/uwsgi', '--ini', '/v/web.ini']);
});
