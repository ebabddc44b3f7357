// `user` and `group`: the vassal runs as that user, with its login groups and environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { vassalFile, waitFor, withEmperor } from './harness.ts';

const status = (pid: number, field: string): string => new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim() ?? '';
const environ = (pid: number): Record<string, string> =>
  Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

test('user = nobody runs with nobody\'s uid, gid, groups and environment; the pid is the command\'s own', async () => {
  assert.equal(process.getuid?.(), 0, 'this test runs as root (as CI does)');
  await withEmperor([], async (e) => {
    e.write('low.ini', vassalFile({ command: 'sleep 100000', user: 'nobody', 'start-secs': '100ms' }));
    const pid = (await e.waitState('low', 'RUNNING')).pids[0] ?? 0;
    await waitFor('the command itself (setpriv execs it)', () => readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('sleep\0'));
    const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))?.split(':') ?? [];
    assert.equal(status(pid, 'Uid').split(/\s+/)[0], nobody[2]);
    assert.equal(status(pid, 'Gid').split(/\s+/)[0], nobody[3]);
    const groups = status(pid, 'Groups').split(/\s+/).filter(Boolean);
    assert.ok(!groups.includes('0'), `no root group left: ${groups.join(' ')}`);
    const env = environ(pid);
    assert.equal(env.USER, 'nobody');
    assert.equal(env.LOGNAME, 'nobody');
    assert.equal(env.HOME, nobody[5]);
  });
});

test('an unknown user or group makes the vassal INVALID with a clear error', async () => {
  await withEmperor([], async (e) => {
    e.write('ghost.ini', vassalFile({ command: 'sleep 100000', user: 'no-such-user-xyz' }));
    e.write('ghostg.ini', vassalFile({ command: 'sleep 100000', group: 'no-such-group-xyz' }));
    const u = await e.waitState('ghost', 'INVALID');
    assert.match(u.error ?? '', /ghost\.ini:3: unknown user `no-such-user-xyz`: no such entry in \/etc\/passwd; create it \(useradd\) or fix `user`/);
    const g = await e.waitState('ghostg', 'INVALID');
    assert.match(g.error ?? '', /ghostg\.ini:3: unknown group `no-such-group-xyz`/);
  });
});
