// Pure pieces of SPEC section 10: which files a root emperor trusts, the unit's ExecStart words,
// the STATUS= line and NOTIFY_SOCKET addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trustProblem } from '../../src/config/file-trust.ts';
import { execWord, systemdUnit } from '../../src/cli/systemd-unit.ts';
import { statusLine } from '../../src/runtime/status-line.ts';
import { notifyAddress } from '../../src/io/sd-notify.ts';

const names = { user: (uid: number) => (uid === 1001 ? 'alice' : null), group: () => null };
const F = 0o100000; // S_IFREG

test('trustProblem: root-owned and unwritable by others is the only trusted file without --tyrant', () => {
  assert.equal(trustProblem('file', '/v/a.ini', { uid: 0, gid: 0, mode: F | 0o644 }, false, names), null);
  assert.equal(trustProblem('file', '/v/a.ini', { uid: 0, gid: 5, mode: F | 0o600 }, false, names), null);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 1001, gid: 0, mode: F | 0o644 }, false, names) ?? '', /^the file is owned by uid 1001 \(alice\), not root; .*: chown root \/v\/a\.ini$/);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 1002, gid: 0, mode: F | 0o644 }, false, names) ?? '', /owned by uid 1002, not root/);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 0, gid: 0, mode: F | 0o664 }, false, names) ?? '', /writable by group \(mode 0664\).*: chmod go-w \/v\/a\.ini$/);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 0, gid: 0, mode: F | 0o646 }, false, names) ?? '', /writable by others \(mode 0646\)/);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 0, gid: 0, mode: F | 0o666 }, false, names) ?? '', /writable by group and others/);
});

test('trustProblem with --tyrant: files are their owners\', never root\'s, and still unwritable by others', () => {
  assert.equal(trustProblem('file', '/v/a.ini', { uid: 1001, gid: 1001, mode: F | 0o644 }, true, names), null);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 0, gid: 1001, mode: F | 0o644 }, true, names) ?? '', /owned by root; with --tyrant .* never as root: chown USER:GROUP \/v\/a\.ini/);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 1001, gid: 0, mode: F | 0o644 }, true, names) ?? '', /group is root \(gid 0\).*chgrp GROUP/);
  assert.match(trustProblem('file', '/v/a.ini', { uid: 1001, gid: 1001, mode: F | 0o664 }, true, names) ?? '', /writable by group .*as its owner/);
  // The directory is root's in both modes; a sticky world-writable one is still refused.
  const D = 0o040000;
  assert.equal(trustProblem('directory', '/v', { uid: 0, gid: 0, mode: D | 0o755 }, true, names), null);
  assert.match(trustProblem('directory', '/v', { uid: 0, gid: 0, mode: D | 0o1777 }, true, names) ?? '', /^the vassal directory \/v is writable by group and others \(mode 01777\)/);
  assert.match(trustProblem('directory', '/v', { uid: 1001, gid: 0, mode: D | 0o755 }, false, names) ?? '', /^the vassal directory \/v is owned by uid 1001 \(alice\)/);
});

test('execWord: systemd command-line quoting and specifier escapes', () => {
  assert.equal(execWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(execWord('/srv/my app'), '"/srv/my app"');
  assert.equal(execWord('100%'), '100%%');
  assert.equal(execWord('$HOME'), '$$HOME');
  assert.equal(execWord('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(execWord(''), '""');
});

test('systemdUnit: the options as given in ExecStart; RuntimeDirectory only for /run/emperor', () => {
  const unit = systemdUnit(['--vassals', '/etc/emperor/vassals', '--tyrant'], '/etc/emperor/vassals', '/run/emperor', { timeoutStop: '300s', watchdog: '30s' }, '/usr/bin/node', '/opt/emperor/bin/emperor.js');
  const lines = unit.split('\n');
  assert.ok(lines.includes('ExecStart=/usr/bin/node /opt/emperor/bin/emperor.js --vassals /etc/emperor/vassals --tyrant'));
  assert.ok(lines.includes('ExecStartPre=/bin/mkdir -p -m 0755 /etc/emperor/vassals'));
  assert.ok(lines.includes('RuntimeDirectory=emperor'));
  const elsewhere = systemdUnit([], '/v', '/var/lib/emperor', { timeoutStop: '60s', watchdog: '0' }, '/n', '/b');
  assert.ok(!elsewhere.includes('RuntimeDirectory'));
  assert.ok(elsewhere.split('\n').includes('WatchdogSec=0'));
});

test('statusLine counts vassals by state in SPEC order', () => {
  assert.equal(statusLine([]), '0 vassals');
  assert.equal(statusLine([{ state: 'RUNNING' }]), '1 vassal: 1 RUNNING');
  assert.equal(statusLine([{ state: 'INVALID' }, { state: 'RUNNING' }, { state: 'BACKOFF' }, { state: 'RUNNING' }]), '4 vassals: 2 RUNNING, 1 BACKOFF, 1 INVALID');
});

test('notifyAddress: a path, an abstract @name (leading NUL, exact length), or an error', () => {
  assert.deepEqual(notifyAddress('/run/systemd/notify'), Buffer.from('/run/systemd/notify'));
  assert.deepEqual(notifyAddress('@abc'), Buffer.from('\0abc', 'latin1'));
  assert.match(String(notifyAddress('relative')), /neither an absolute path nor an abstract @name/);
  assert.match(String(notifyAddress('@')), /neither/);
});
