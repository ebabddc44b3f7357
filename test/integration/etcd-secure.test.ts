// An etcd source over TLS with a client certificate, and over etcd's password authentication.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPEROR_BIN, EmperorUnderTest, runProgram } from './harness.ts';
import { EtcdCluster, etcdctl } from './etcd-cluster.ts';

const VASSAL = '[vassal]\ncommand = sleep 1000\nuser = nobody\n';

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, in `dir`.
function certificates(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=emperor-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', `${who}.key`, '-out', `${who}.csr`], dir);
    openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${who}.ext`, '-out', `${who}.crt`], dir);
  }
}

test('TLS with a client certificate: --etcd-ca, --etcd-cert, --etcd-key', { timeout: 120_000 }, async (t) => {
  const certs = mkdtempSync(join(tmpdir(), 'emperor-etcd-tls-'));
  t.after(() => rmSync(certs, { recursive: true, force: true }));
  certificates(certs);
  const c = (f: string): string => join(certs, f);
  const cluster = await EtcdCluster.start(1, new EtcdCluster('https',
    ['--cert-file', c('server.crt'), '--key-file', c('server.key'), '--trusted-ca-file', c('ca.crt'), '--client-cert-auth'],
    ['--cacert', c('ca.crt'), '--cert', c('client.crt'), '--key', c('client.key')]));
  const e = new EmperorUnderTest(['--vassals', `etcd://${cluster.endpoints}/tls`, '--host-name', 'a', '--etcd-ca', c('ca.crt'), '--etcd-cert', c('client.crt'), '--etcd-key', c('client.key')]);
  t.after(async () => {
    assert.deepEqual(await e.cleanup(), []);
    await cluster.stop();
  });
  await e.start();
  await cluster.put('tls/all/web.ini', VASSAL);
  await e.waitState('web', 'RUNNING', 20000);
});

test('etcd authentication: --etcd-auth FILE (user:password)', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-etcd-auth-'));
  const cluster = await EtcdCluster.start(1);
  t.after(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await cluster.ctl(['user', 'add', 'root:rootpw']);
  await cluster.ctl(['auth', 'enable']);
  const auth = join(dir, 'etcd-auth');
  writeFileSync(auth, 'root:rootpw\n', { mode: 0o600 });
  const e = new EmperorUnderTest(['--vassals', `etcd://${cluster.endpoints}/sec`, '--host-name', 'a', '--etcd-auth', auth]);
  t.after(async () => assert.deepEqual(await e.cleanup(), []));
  await e.start();
  await etcdctl(cluster.endpoints, ['put', 'sec/all/web.ini', VASSAL], 10000, ['--user', 'root:rootpw']);
  await e.waitState('web', 'RUNNING', 20000);

  // A wrong password is bad input, not an outage: the start stops, naming the file to fix (it used to retry forever).
  const wrong = join(dir, 'etcd-auth-wrong');
  writeFileSync(wrong, 'root:not-the-password\n', { mode: 0o600 });
  const bad = await runProgram([process.execPath, EMPEROR_BIN, '--vassals', `etcd://${cluster.endpoints}/sec`, '--host-name', 'b', '--etcd-auth', wrong, '--state-dir', join(dir, 'state-wrong'), '--metrics', 'off'], 30000);
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout + bad.stderr, new RegExp(`refused this emperor: .*authentication failed.*fix the user and password in --etcd-auth ${wrong}`));
  // No credentials at all where authentication is on: refused too, saying which option gives them.
  const none = await runProgram([process.execPath, EMPEROR_BIN, '--vassals', `etcd://${cluster.endpoints}/sec`, '--host-name', 'c', '--state-dir', join(dir, 'state-none'), '--metrics', 'off'], 30000);
  assert.equal(none.status, 1, none.stdout + none.stderr);
  assert.match(none.stdout + none.stderr, /refused this emperor: .*--etcd-auth FILE/);
});
