// `--vassals etcd://...` and --host-name: what is accepted, and the message for what is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHostName, parseEtcdUrl, ETCD_URL_FORM } from '../../src/config/etcd-url.ts';
import { parseEmperorArgs, UsageError } from '../../src/cli/emperor-options.ts';

test('an etcd URL: endpoints and the key prefix without its slashes', () => {
  assert.deepEqual(parseEtcdUrl('etcd://127.0.0.1:2379/emp'), { ok: true, value: { endpoints: ['127.0.0.1:2379'], prefix: 'emp', text: 'etcd://127.0.0.1:2379/emp' } });
  const many = parseEtcdUrl('etcd://a:1,b:2,[::1]:3/x/y/');
  assert.ok(many.ok);
  assert.deepEqual(many.value.endpoints, ['a:1', 'b:2', '[::1]:3']);
  assert.equal(many.value.prefix, 'x/y');
});

test('a malformed etcd URL names the accepted form', () => {
  for (const bad of ['etcd://127.0.0.1:2379', 'etcd://127.0.0.1/emp', 'etcd://:2379/emp', 'etcd://h:99999/emp', 'etcd://h:1/', 'etcd://h:1/a//b', 'etcd:/h:1/emp', 'etcd://h:1,/emp']) {
    const r = parseEtcdUrl(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) {
      assert.ok(r.message.includes(ETCD_URL_FORM), r.message);
      assert.equal(r.code, 'E_ETCD_URL');
    }
  }
});

test('a host name must be one key segment', () => {
  assert.ok(checkHostName('web-1.example').ok);
  for (const bad of ['a/b', '', '..', 'a b', 'é']) assert.equal(checkHostName(bad).ok, false, bad);
});

test('--vassals repeats: a directory and etcd; the etcd options need etcd', () => {
  const cmd = parseEmperorArgs(['--vassals', '/v', '--vassals', 'etcd://h:1/p', '--host-name', 'a', '--etcd-lease-ttl', '3s', '--etcd-allow-root'], {}, 0);
  assert.equal(cmd.kind, 'run');
  if (cmd.kind !== 'run') return;
  assert.deepEqual(cmd.settings.sources, ['/v', 'etcd://h:1/p']);
  assert.equal(cmd.settings.vassals, '/v');
  assert.equal(cmd.settings.hostName, 'a');
  assert.equal(cmd.settings.etcd.leaseTtlS, 3);
  assert.equal(cmd.settings.etcd.allowRoot, true);
  const refused = (args: string[], pattern: RegExp): void => assert.throws(() => parseEmperorArgs(args, {}, 0), (err: unknown) => err instanceof UsageError && pattern.test(err.message));
  refused(['--vassals', 'etcd://h/p'], /the form is etcd:\/\/HOST:PORT/);
  refused(['--host-name', 'a'], /--host-name needs an etcd source/);
  refused(['--vassals', 'etcd://h:1/p', '--host-name', 'a/b'], /cannot be an etcd key segment/);
  refused(['--vassals', '/a', '--vassals', '/b'], /one directory at most/);
  refused(['--vassals', 'etcd://h:1/p', '--etcd-cert', '/c'], /need --etcd-ca/);
});
