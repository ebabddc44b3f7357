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

// Imports of `file` that load code: `import type` and `import { type A, type B }` load nothing.
function valueImportsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s([^;]*?)from\s+'(\.[^']+)'/gms)) {
    const clause = (m[1] ?? '').trim();
    if (clause.startsWith('type ')) continue;
    const names = /^\{([^}]*)\}$/.exec(clause)?.[1];
    if (names !== undefined && names.split(',').map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith('type '))) continue;
    out.push(resolve(dirname(file), m[2] ?? ''));
  }
  return out;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return allFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

test('no import cycle in src/ other than type-only ones', () => {
  const files = allFiles(SRC);
  const graph = new Map(files.map((f) => [f, valueImportsOf(f)]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(SRC, f)).join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
  // The scan sees real imports (a guard against a regex that finds none).
  assert.ok((graph.get(join(SRC, 'runtime/vassal.ts')) ?? []).includes(join(SRC, 'runtime/vassal-driver.ts')));
});
