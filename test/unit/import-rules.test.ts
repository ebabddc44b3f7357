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

// ---------------------------------------------------------------------------------------------
// Effects behind ports (issue 12): the runtime reaches time, chance, signals and child processes
// only through src/runtime/ports.ts; the real adapters are built in src/cli/ only.
// ---------------------------------------------------------------------------------------------

/** A file's code without its comments and method signatures (a scan must not trip on prose or on ports.ts). */
function codeOf(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/^\s*\w+\(.*\):\s*[\w|<>\s]+;\s*$/gm, '');
}

/** Globals the runtime must reach through a port, and the port that carries each. */
const GLOBAL_EFFECTS: Array<[RegExp, string]> = [
  [/(?<![.\w])setTimeout\s*\(/, 'Timers.setTimeout'],
  [/(?<![.\w])setInterval\s*\(/, 'Timers.setInterval'],
  [/(?<![.\w])setImmediate\s*\(/, 'EmperorPorts.nextTurn'],
  [/\bMath\.random\b/, 'Random'],
  [/\bprocess\.kill\b/, 'Signals'],
  [/\bDate\.now\b/, 'TimePorts.wallMs'],
  [/\bperformance\.now\b/, 'Clock'],
];

/**
 * Files of src/runtime/ still allowed one of these, and why. Each entry belongs to a part of issue 12
 * done elsewhere (the vassal machine, the spawn plan) or is display-only; remove it once that lands.
 */
const ALLOWED: Record<string, string[]> = {
  // the time printed on each event line (display only)
  'runtime/event-log.ts': ['TimePorts.wallMs'],
  // `events --since`: a cutoff compared with the events' own wall-clock times
  'runtime/commands.ts': ['TimePorts.wallMs'],
  // the output grace after an exit
  'runtime/child-output.ts': ['Timers.setTimeout'],
};

test('src/runtime/ never imports node:child_process', () => {
  for (const file of filesUnder('runtime')) {
    const bad = importsOf(file).filter((s) => s === 'node:child_process' || s === 'child_process');
    assert.deepEqual(bad, [], `${relative(SRC, file)} imports ${bad.join(', ')}: spawn through the Spawner port`);
  }
});

test('src/runtime/ calls no global timer, randomness, process.kill or wall clock: ports carry them', () => {
  for (const file of filesUnder('runtime')) {
    const name = relative(SRC, file);
    const code = codeOf(file);
    const found = GLOBAL_EFFECTS.filter(([re]) => re.test(code)).map(([, port]) => port);
    const unexpected = found.filter((port) => !(ALLOWED[name] ?? []).includes(port));
    assert.deepEqual(unexpected, [], `${name} reaches a global directly: use ${unexpected.join(', ')} from src/runtime/ports.ts`);
  }
});

/** Real adapters, by module, and the names that build or are them. */
const ADAPTERS: Record<string, string[]> = {
  'io/guardian.ts': ['Guardian'],
  'io/sampler.ts': ['Sampler'],
  'io/health-probe.ts': ['probe'],
  'io/process-group.ts': ['killGroup', 'killProcess', 'groupAlive', 'processAlive'],
  'io/pidfile.ts': ['readPidfile', 'identify', 'bootTimeMs'],
  'io/pidfile-write.ts': ['writePidfile', 'watchDirEvents'],
  'io/daemon-records.ts': ['FileDaemonRecords'],
  'io/vassal-dir.ts': ['listVassalFiles', 'VassalLister', 'sharedLister', 'watchVassalDir'],
  'io/subtree-cpu.ts': ['SubtreeCpu'],
  'io/spawner.ts': ['nodeSpawner'],
  'io/notify-receiver.ts': ['NotifyReceiver'],
  'io/emperor-channel.ts': ['EmperorChannel'],
  'cli/real-ports.ts': ['*'],
};

// The value names one file imports from each module (type-only imports excluded).
function valueImports(file: string): Array<{ module: string; names: string[] }> {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ module: string; names: string[] }> = [];
  for (const m of text.matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+'([^']+)'/gms)) {
    if (m[1] !== undefined || !(m[3] ?? '').startsWith('.')) continue;
    const clause = m[2] ?? '';
    const braces = /\{([^}]*)\}/.exec(clause)?.[1] ?? '';
    const names = braces.split(',').map((n) => n.trim()).filter((n) => n !== '' && !n.startsWith('type ')).map((n) => n.split(/\s+as\s+/)[0] ?? n);
    const bare = clause.replace(/\{[^}]*\}/, '').replace(/,/g, ' ').trim();
    if (bare !== '') names.push(bare);
    out.push({ module: relative(SRC, resolve(dirname(file), m[3] ?? '')), names });
  }
  return out;
}

test('only src/cli/ (and src/io/ itself) builds the real adapters behind the ports', () => {
  const dirs = ['runtime', 'core', 'config', 'control', 'metrics'];
  for (const file of dirs.flatMap((d) => filesUnder(d))) {
    for (const { module, names } of valueImports(file)) {
      const adapters = ADAPTERS[module];
      if (adapters === undefined) continue;
      const bad = adapters.includes('*') ? names : names.filter((n) => adapters.includes(n));
      assert.deepEqual(bad, [], `${relative(SRC, file)} imports the real ${bad.join(', ')} from ${module}: take it from a port, built in src/cli/real-ports.ts`);
    }
  }
});

test('the scan sees what it must: a global call is found, a port call and a comment are not', () => {
  const probe = (code: string): string[] => GLOBAL_EFFECTS.filter(([re]) => re.test(code)).map(([, p]) => p);
  assert.deepEqual(probe('const t = setTimeout(f, 1);'), ['Timers.setTimeout']);
  assert.deepEqual(probe('this.timers.setTimeout(f, 1); ports.random();'), []);
  assert.deepEqual(probe('process.kill(pid, 0); Date.now()'), ['Signals', 'TimePorts.wallMs']);
  const signature = '  setTimeout(fn: () => void, ms: number): TimerHandle;\n';
  assert.equal(signature.replace(/^\s*\w+\(.*\):\s*[\w|<>\s]+;\s*$/gm, ''), '', 'a port\'s method signature is no call');
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

test('the spawn plan is pure: spawn-plan.ts imports no node: I/O module and nothing from io/ but types', () => {
  const file = join(SRC, 'runtime/spawn-plan.ts');
  const text = readFileSync(file, 'utf8');
  assert.deepEqual(importsOf(file).filter((s) => /^node:(fs|child_process|net|http|dgram|os)/.test(s)), []);
  const ioValues = [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'(\.\.\/io\/[^']+)'/gms)].map((m) => m[1]);
  assert.deepEqual(ioValues, [], 'spawn-plan.ts imports io/ values');
});

test('emperorctl loads top and events only when they run: `status` pays nothing for them', () => {
  const files = [...closure(join(SRC, 'cli/emperorctl.ts'))].map((f) => relative(SRC, f));
  for (const lazy of ['cli/ctl-top.ts', 'cli/ctl-top-render.ts', 'cli/ctl-events.ts']) assert.ok(!files.includes(lazy), `emperorctl imports ${lazy} at start-up`);
  const text = readFileSync(join(SRC, 'cli/emperorctl.ts'), 'utf8');
  assert.match(text, /await import\('\.\/ctl-top\.ts'\)/);
  assert.match(text, /await import\('\.\/ctl-events\.ts'\)/);
  for (const entry of ['cli/ctl-top.ts', 'cli/ctl-events.ts']) {
    for (const f of [...closure(join(SRC, entry))].map((x) => relative(SRC, x))) {
      assert.match(f, /^(cli\/ctl-[a-z-]+\.ts|control\/(protocol|paths)\.ts|core\/(errors|error-codes)\.ts)$/, `${entry} imports ${f}`);
    }
  }
});

// Static imports and `await import('./x.ts')` alike: every module a command may load.
function closureWithLazy(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const lazy = [...text.matchAll(/import\('(\.[^']+)'\)/g)].map((m) => m[1] ?? '');
    for (const spec of [...importsOf(file), ...lazy]) if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
  };
  walk(entry);
  return seen;
}

test('emperorctl: every module a command loads (lazily too) is its own, the protocol or the error vocabulary; status loads the fewest', () => {
  const all = [...closureWithLazy(join(SRC, 'cli/emperorctl.ts'))].map((f) => relative(SRC, f));
  assert.ok(all.includes('cli/ctl-status.ts') && all.includes('cli/ctl-help.ts'), `the lazy scan found ${all.join(', ')}`);
  for (const f of all) assert.match(f, /^(cli\/(emperorctl|ctl-[a-z-]+)\.ts|control\/(protocol|paths)\.ts|core\/(errors|error-codes)\.ts)$/, `emperorctl loads ${f}`);
  const status = new Set([...closure(join(SRC, 'cli/emperorctl.ts')), ...closure(join(SRC, 'cli/ctl-status.ts'))].map((f) => relative(SRC, f)));
  for (const f of ['cli/ctl-help.ts', 'cli/ctl-tail.ts', 'cli/ctl-actions.ts', 'cli/ctl-logs.ts', 'cli/ctl-top.ts', 'cli/ctl-events.ts']) {
    assert.ok(!status.has(f), `emperorctl status loads ${f}`);
  }
});

test('emperorctl compiles as CommonJS too (bin/emperorctl.cjs): none of its modules uses import.meta or a top-level await', () => {
  const config = JSON.parse(readFileSync(join(SRC, '../tsconfig.ctl.json'), 'utf8')) as { files: string[]; compilerOptions: { module: string; outDir: string } };
  assert.deepEqual([config.files, config.compilerOptions.module, config.compilerOptions.outDir], [['src/cli/emperorctl.ts'], 'CommonJS', 'dist/cjs']);
  const all = [...closureWithLazy(join(SRC, 'cli/emperorctl.ts'))];
  assert.ok(all.length > 10, `the lazy scan found ${all.length} files`);
  for (const file of all) {
    const code = codeOf(file);
    assert.doesNotMatch(code, /import\.meta/, `${relative(SRC, file)} uses import.meta`);
    assert.doesNotMatch(code, /^await /m, `${relative(SRC, file)} has a top-level await`);
  }
});
