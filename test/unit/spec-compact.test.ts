import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compactSpec } from '../../src/config/spec-compact.ts';
import { parseVassalFile } from '../../src/config/parse-file.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { classifyChange } from '../../src/core/spec-change.ts';
import { makeSpec } from './make-spec.ts';

const KEYS = Object.keys(makeSpec()) as Array<keyof VassalSpec>;

function parsed(text: string, file = '/v/web.ini'): VassalSpec {
  const r = parseVassalFile(file, text, {});
  assert.deepEqual(r.problems.filter((p) => !p.warning), []);
  return r.vassals[0] as VassalSpec;
}

test('a compact spec reads every key as the full one does', () => {
  const files = [
    '[vassal]\ncommand = sleep 1\n',
    '[vassal]\ncommand = x %i\ninstances = 3\nenv = A=1\nexit-codes = 0,2\nrestart = never\ndepends = db\nalarm = ops\nhealth-check = tcp://127.0.0.1:9\n',
    '[vassal]\ncommand = x\nready-log-line = listening\nstart-timeout = 5s\n',
    '[program:web]\ncommand = x\nnumprocs = 2\nprocess_name = %(program_name)s_%(process_num)s\n',
  ];
  for (const text of files) {
    const full = parsed(text, text.includes('program:') ? '/v/web.conf' : '/v/web.ini');
    const compact = compactSpec(full);
    for (const key of [...KEYS, 'readiness' as const]) assert.deepEqual(compact[key], full[key], `${key} of ${text}`);
    assert.equal(classifyChange(full, compact), 'touch');
    assert.equal(classifyChange(compact, full), 'touch');
  }
});

test('a compact spec holds as its own only what differs from the defaults', () => {
  const compact = compactSpec(parsed('[vassal]\ncommand = sleep 1\nrestart = never\nexit-codes = 0\n'));
  assert.deepEqual(Object.keys(compact).sort(), ['command', 'dialect', 'directory', 'file', 'lines', 'name', 'restart']);
});

test('changes between compact specs are classified as between full ones', () => {
  const base = parsed('[vassal]\ncommand = sleep 1\n');
  const variants = ['restart = never', 'stop-timeout = 3s', 'env = A=1', 'exit-codes = 0,1', 'user = root', 'instances = 2', 'directory = /tmp'];
  for (const line of variants) {
    const other = parsed(`[vassal]\ncommand = sleep 1\n${line}\n`);
    assert.equal(classifyChange(compactSpec(base), compactSpec(other)), classifyChange(base, other), line);
    assert.equal(classifyChange(compactSpec(other), compactSpec(base)), classifyChange(other, base), `${line} (back)`);
  }
});

test('specs of files alike share their defaults and their lines', () => {
  const a = compactSpec(parsed('[vassal]\ncommand = sleep 1\n', '/v/a.ini'));
  const b = compactSpec(parsed('[vassal]\ncommand = sleep 2\n', '/v/b.ini'));
  assert.equal(a.lines, b.lines);
  assert.equal(a.env, b.env);
  assert.equal(a.exitCodes, b.exitCodes);
  assert.notEqual(a.command, b.command);
});

test('programs and directories many files repeat are one string; a long one is kept as it is', () => {
  const long = 'x'.repeat(200);
  const a = compactSpec(parsed(`[vassal]\ncommand = ${long} 1\n`, '/v/a.ini'));
  const b = compactSpec(parsed(`[vassal]\ncommand = ${long} 1\n`, '/v/b.ini'));
  assert.deepEqual(a.command, [long, '1']);
  assert.equal(a.directory, '/v');
  assert.equal(b.directory, '/v');
});

// Specs reach the runtime compact (the reader's cache): a spread or a key listing of one would miss its defaults.
const SRC = join(import.meta.dirname, '../../src');
const PLAIN_SPEC_USERS: Record<string, string> = {
  'runtime/tyrant.ts': 'runs on the parser\'s plain spec, before the reader compacts it',
  'runtime/etcd-vassals.ts': 'etcd specs are kept as parsed (plain)',
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('no code past the parser spreads, lists the keys of or serializes a spec', () => {
  const risky = /\.\.\.[A-Za-z_.?]*[sS]pec\b|Object\.(keys|entries|values|assign)\([A-Za-z_.?]*[sS]pec\b|stringify\([A-Za-z_.?]*[sS]pec\b/;
  const found: string[] = [];
  for (const file of tsFiles(SRC)) {
    const name = relative(SRC, file);
    if (name.startsWith('config/') || PLAIN_SPEC_USERS[name] !== undefined) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (risky.test(line)) found.push(`${name}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, [], 'use the spec\'s keys one by one (a compact spec holds its defaults on its prototype)');
  assert.ok(risky.test('return { ...spec, user };'), 'the scan sees a spread');
});
