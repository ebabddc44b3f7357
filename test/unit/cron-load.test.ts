// croner is loaded only when a vassal has a `schedule` (this file runs in its own process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { cronLoaded, parseCron } from '../../src/config/cron.ts';
import { parseVassalFile } from '../../src/config/parse-file.ts';

test('a file without schedule never loads croner; the first schedule does, in a few ms', () => {
  parseVassalFile('/v/web.ini', '[vassal]\ncommand = x\nrestart = always\n', {});
  assert.equal(cronLoaded(), false);
  const t = performance.now();
  assert.ok(parseCron('@daily', null).ok);
  const ms = performance.now() - t;
  assert.equal(cronLoaded(), true);
  assert.ok(ms < 500, `croner loaded and parsed in ${ms.toFixed(1)} ms`);
  process.stdout.write(`# croner load + first parse: ${ms.toFixed(1)} ms\n`);
});
