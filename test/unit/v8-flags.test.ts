// bin/v8-flags.js: which V8 flags the emperor sets for itself, that an operator's own flag of the same
// kind wins, and that --max-opt=1 set at run time (as bin/emperor.js does) really keeps TurboFan off.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import test from 'node:test';
// @ts-expect-error: a plain JavaScript module of bin/, without types (run before any compiled code)
import { emperorV8Flags } from '../../bin/v8-flags.js';

const flags = emperorV8Flags as (execArgv: string[], nodeOptions: string | undefined) => string[];

test('v8 flags: both set on a plain node command line', () => {
  assert.deepEqual(flags([], undefined), ['--semi-space-growth-factor=1', '--max-opt=1']);
  assert.deepEqual(flags(['--enable-source-maps'], '--max-old-space-size=200'), ['--semi-space-growth-factor=1', '--max-opt=1']);
});

test("v8 flags: the operator's own flag of a kind wins, on the command line or in NODE_OPTIONS", () => {
  for (const own of ['--max-opt=3', '--turbofan', '--no-opt', '--opt', '--jitless', '--maglev', '--max_opt=2']) {
    assert.deepEqual(flags([own], undefined), ['--semi-space-growth-factor=1'], own);
    assert.deepEqual(flags([], `--trace-warnings ${own}`), ['--semi-space-growth-factor=1'], `NODE_OPTIONS ${own}`);
  }
  assert.deepEqual(flags(['--max-semi-space-size=4'], undefined), ['--max-opt=1']);
  assert.deepEqual(flags([], '--semi-space-growth-factor=2'), ['--max-opt=1']);
  // not the same kind: still set
  assert.deepEqual(flags(['--optimize-for-size', '--options-file=x'], undefined), ['--semi-space-growth-factor=1', '--max-opt=1']);
});

// A hot function in a node that sets the flag at run time, the way bin/emperor.js does; V8's own status bits
// (--allow-natives-syntax; 64: TurboFan compiled it) say whether it was. Without the flag, the same code is optimised:
// the check can fail.
function turbofanned(setFlag: boolean): boolean {
  const script = `
    ${setFlag ? "require('node:v8').setFlagsFromString('--max-opt=1');" : ''}
    function hot(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * 2; return s; }
    const a = Array.from({ length: 1000 }, (_, i) => i);
    let t = 0;
    for (let i = 0; i < 20000; i++) t += hot(a);
    const status = %GetOptimizationStatus(hot);
    process.stdout.write(String((status & 64) !== 0 ? 1 : 0) + ' ' + t);`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.startsWith('1');
}

test('v8 flags: --max-opt=1 set at run time keeps TurboFan off (and without it the same function is optimised)', () => {
  assert.equal(turbofanned(false), true, 'the check itself: a hot function is optimised by default');
  assert.equal(turbofanned(true), false, 'with --max-opt=1 set at run time it is not');
});
