// The error vocabulary: README.md lists exactly the registry's codes (as fastify checks its docs), every
// code is well formed and documented, and errno descriptions are made one way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ERROR_CODES } from '../../src/core/error-codes.ts';
import { parseVassalFile } from '../../src/config/parse-file.ts';
import { explainUnrunnable } from '../../src/io/spawner.ts';
import { openListenSocket } from '../../src/io/listen-socket.ts';
import { asFailed, describeErrno, EmperorError, errnoOf, fail, failed, failure, failureOf } from '../../src/core/errors.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The codes of README.md's "Error codes" table, in order. */
function readmeCodes(): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf('\n## Error codes\n');
  assert.ok(start !== -1, 'README.md has an "## Error codes" section');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1] ?? '');
}

test('README.md lists exactly the codes of the registry, each once', () => {
  const listed = readmeCodes();
  assert.deepEqual([...listed].sort(), Object.keys(ERROR_CODES).sort());
  assert.equal(new Set(listed).size, listed.length, 'a code listed twice');
});

test('every code is E_ or W_ and upper snake case, with what it means and the fix', () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[EW]_[A-Z]+(_[A-Z]+)*$/);
    assert.ok(info.means.length > 10 && info.fix.length > 5, code);
  }
  const n = Object.keys(ERROR_CODES).length;
  assert.ok(n >= 20 && n <= 80, `${n} codes`);
});

test('every code the source names is in the registry', () => {
  const used = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('error-codes.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/'([EW]_[A-Z_]+)'/g)) used.add(m[1] ?? '');
    }
  };
  walk(join(ROOT, 'src'));
  for (const code of used) assert.ok(Object.hasOwn(ERROR_CODES, code), `${code} is used but not registered`);
});

test('describeErrno: the errno code when there is one, else the message, else the value', () => {
  assert.equal(describeErrno(Object.assign(new Error('no such file'), { code: 'ENOENT' })), 'ENOENT');
  assert.equal(describeErrno(new Error('not a regular file')), 'not a regular file');
  assert.equal(describeErrno('plain'), 'plain');
  assert.equal(describeErrno(new EmperorError(failure('E_RIGHTS_UNAVAILABLE', 'cannot take alice\'s rights: EPERM'))), 'cannot take alice\'s rights: EPERM');
  assert.equal(errnoOf(Object.assign(new Error('x'), { code: 'EACCES' })), 'EACCES');
  assert.equal(errnoOf(new Error('x')), null);
  assert.equal(errnoOf(null), null);
});

test('the shapes that carry a failure: Failed keeps the message as `error`, Outcome may leave its code to the reader', () => {
  assert.deepEqual(failed('E_SPAWN_NOT_FOUND', 'command not found: x'), {
    error: 'command not found: x',
    failure: { code: 'E_SPAWN_NOT_FOUND', message: 'command not found: x' },
  });
  assert.deepEqual(fail('E_ACCOUNT_UNKNOWN', 'unknown user'), { ok: false, message: 'unknown user', code: 'E_ACCOUNT_UNKNOWN' });
  assert.deepEqual(failureOf({ message: 'expected a duration' }, 'E_VALUE_INVALID'), { code: 'E_VALUE_INVALID', message: 'expected a duration' });
  assert.deepEqual(asFailed({ error: 'bind failed' }, 'E_BIND_FAILED'), { error: 'bind failed', failure: { code: 'E_BIND_FAILED', message: 'bind failed' } });
  const kept = failed('E_BIND_IN_USE', 'in use');
  assert.deepEqual(asFailed(kept, 'E_BIND_FAILED'), kept);
  const thrown = new EmperorError(failure('E_USAGE', 'unknown option --x', { cause: 'why' }));
  assert.equal(thrown.message, 'unknown option --x');
  assert.equal(thrown.failure.code, 'E_USAGE');
  assert.equal(thrown.cause, 'why');
  assert.ok(thrown instanceof Error);
});

test('problems of a vassal file carry the code of their kind', () => {
  const codes = (text: string): Array<string | undefined> => parseVassalFile('/v/a.ini', text, {}).problems.map((p) => p.code);
  assert.deepEqual(codes('[vassal]\ncommand = /bin/true\ncomand = x\n'), ['E_KEY_UNKNOWN']);
  assert.deepEqual(codes('[vassal]\ncommand = /bin/true\ninstances = 2\ninstances = 3\n'), ['E_KEY_REPEATED']);
  assert.deepEqual(codes('[vassal]\ncommand = /bin/true\nstop-timeout = soon\n'), ['E_VALUE_INVALID']);
  assert.deepEqual(codes('[vassal]\ncommand = /bin/true\nthis is not a key\n'), ['E_INI_SYNTAX']);
  assert.deepEqual(codes('[server]\ncommand = /bin/true\n'), ['E_DIALECT_UNKNOWN']);
  assert.deepEqual(codes('[program:web]\ncommand = /bin/true\nautorestart = sometimes\n'), ['E_VALUE_INVALID']);
});

test('a command that cannot run is explained with its code', () => {
  assert.equal(explainUnrunnable('/nonexistent/prog', '/', undefined)?.code, 'E_SPAWN_NOT_FOUND');
  assert.equal(explainUnrunnable('prog-that-is-nowhere', '/', '/usr/bin:/bin')?.code, 'E_SPAWN_NOT_FOUND');
  assert.equal(explainUnrunnable('/bin/sh', '/nonexistent-dir', undefined)?.code, 'E_SPAWN_DIRECTORY');
  assert.equal(explainUnrunnable('/etc/passwd', '/', undefined)?.code, 'E_SPAWN_NOT_EXECUTABLE');
  assert.equal(explainUnrunnable('/bin/sh', '/', undefined), null);
});

test('a socket address in use is E_BIND_IN_USE, a path that is no socket E_BIND_FAILED', async () => {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const dir = mkdtempSync(join(tmpdir(), 'emperor-codes-'));
  try {
    const port = (server.address() as AddressInfo).port;
    const taken = openListenSocket({ kind: 'tcp', host: '127.0.0.1', port });
    assert.ok('error' in taken);
    assert.equal(taken.failure.code, 'E_BIND_IN_USE');
    const notSocket = join(dir, 'file');
    writeFileSync(notSocket, '');
    const r = openListenSocket({ kind: 'unix', path: notSocket });
    assert.ok('error' in r);
    assert.equal(r.failure.code, 'E_BIND_FAILED');
    assert.equal(r.error, `${notSocket} exists and is not a socket; remove it or choose another path`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    server.close();
  }
});
