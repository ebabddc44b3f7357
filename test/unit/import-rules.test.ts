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

test('emperorctl loads only its own files and the protocol', () => {
  const files = [...closure(join(SRC, 'cli/emperorctl.ts'))].map((f) => relative(SRC, f)).sort();
  assert.ok(files.includes('control/protocol.ts') && files.includes('cli/ctl-client.ts'), `the import scan found ${files.join(', ')}`);
  for (const f of files) assert.match(f, /^(cli\/(emperorctl|ctl-[a-z-]+)\.ts|control\/(protocol|paths)\.ts)$/, `emperorctl imports ${f}`);
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

test('emperorctl loads top and events only when they run: `status` pays nothing for them', () => {
  const files = [...closure(join(SRC, 'cli/emperorctl.ts'))].map((f) => relative(SRC, f));
  for (const lazy of ['cli/ctl-top.ts', 'cli/ctl-top-render.ts', 'cli/ctl-events.ts']) assert.ok(!files.includes(lazy), `emperorctl imports ${lazy} at start-up`);
  const text = readFileSync(join(SRC, 'cli/emperorctl.ts'), 'utf8');
  assert.match(text, /await import\('\.\/ctl-top\.ts'\)/);
  assert.match(text, /await import\('\.\/ctl-events\.ts'\)/);
  for (const entry of ['cli/ctl-top.ts', 'cli/ctl-events.ts']) {
    for (const f of [...closure(join(SRC, entry))].map((x) => relative(SRC, x))) {
      assert.match(f, /^(cli\/ctl-[a-z-]+\.ts|control\/(protocol|paths)\.ts)$/, `${entry} imports ${f}`);
    }
  }
});
