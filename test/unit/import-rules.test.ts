// The architecture's dependency rules, checked on the source: emperorctl never loads daemon code;
// core/ and config/ do no I/O; io/ never imports runtime/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] ?? '');
}

function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
  };
  walk(entry);
  return seen;
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(SRC, dir)).filter((f) => f.endsWith('.ts')).map((f) => join(SRC, dir, f));
}

test('emperorctl loads only its own files, the protocol and the error vocabulary', () => {
  const files = [...closure(join(SRC, 'cli/emperorctl.ts'))].map((f) => relative(SRC, f)).sort();
  assert.ok(files.includes('control/protocol.ts') && files.includes('cli/ctl-client.ts'), `the import scan found ${files.join(', ')}`);
  for (const f of files) assert.match(f, /^(cli\/(emperorctl|ctl-[a-z-]+)\.ts|control\/(protocol|paths)\.ts|core\/(errors|error-codes)\.ts)$/, `emperorctl imports ${f}`);
});

test('core/ and config/ import no node: I/O modules', () => {
  for (const file of [...filesUnder('core'), ...filesUnder('config')]) {
    const io = importsOf(file).filter((s) => /^node:(fs|child_process|net|http|dgram)/.test(s));
    assert.deepEqual(io, [], `${relative(SRC, file)} does I/O`);
  }
});

test('io/ never imports runtime/', () => {
  for (const file of filesUnder('io')) {
    const bad = importsOf(file).filter((s) => s.includes('/runtime/'));
    assert.deepEqual(bad, [], `${relative(SRC, file)} imports ${bad.join(', ')}`);
  }
});

test('the spawn plan is pure: spawn-plan.ts imports no node: I/O module and nothing from io/ but types', () => {
  const file = join(SRC, 'runtime/spawn-plan.ts');
  const text = readFileSync(file, 'utf8');
  assert.deepEqual(importsOf(file).filter((s) => /^node:(fs|child_process|net|http|dgram|os)/.test(s)), []);
  const ioValues = [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'(\.\.\/io\/[^']+)'/gms)].map((m) => m[1]);
  assert.deepEqual(ioValues, [], 'spawn-plan.ts imports io/ values');
});
