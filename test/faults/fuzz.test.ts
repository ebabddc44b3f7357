// Fuzz: the three dialects' parsers and `emperor check` on arbitrary bytes and INI-shaped text (NUL, invalid
// UTF-8, CRLF, BOM, huge lines, deep magic variables) never throw and always give a spec or located errors.
// Prints the runs and the time per KiB; asserts only a generous bound (the machines are noisy).
// EMPEROR_FAULTS_LONG=1 runs ten times as many cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseVassalFile } from '../../src/config/parse-file.ts';
import { runCheck } from '../../src/cli/check.ts';
import { NATIVE_KEYS } from '../../src/config/native-keys.ts';

const LONG = process.env.EMPEROR_FAULTS_LONG === '1';
const RUNS = LONG ? 20_000 : 1_000;
const FILE = '/etc/emperor/vassals/fuzz.ini';
const ENV = { HOME: '/root', PORT: '8080', DEEP: '$(DEEP)', X: '%(ENV_X)s' };
/** Generous: parsing is linear and fast (well under 1 ms per KiB); only a pathological blow-up fails this. */
const MAX_MS_PER_KIB = 50;

const SECTIONS = ['vassal', 'uwsgi', 'program:web', 'program:x y', 'supervisord', 'group:g', 'emperor', 'vassal ', '', 'VASSAL', 'program:', '[x]'];
const KEYS = [...NATIVE_KEYS, 'command', 'process_name', 'numprocs', 'autorestart', 'environment', 'master', 'processes', 'http-socket', 'smart-attach-daemon2', 'attach-daemon', 'env', 'stopsignal', 'directory', 'priority', 'for', 'endfor', 'if-env', 'endif'];
const VALUES = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('/bin/sleep 1', '%(ENV_HOME)s', '%(program_name)s_%(process_num)02d', '$(HOME)', '$(DEEP)', '%d', '%n', '%(here)s', '%(X)s', '%i', '%%', '%k', '512M', '-1', '1e999', 'true', 'tcp://127.0.0.1:0', 'http://[::1]:99999/x', '"unclosed', "'x", '\\', '\u0000', '\uFFFD', '\u202E'),
  fc.string({ maxLength: 10 }).map((s) => '%('.repeat(30) + s + ')s'.repeat(30)),
  fc.string({ maxLength: 10 }).map((s) => '$('.repeat(40) + s),
);
const LINE = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(' = ', '=', ': ', ' '), VALUES).map(([k, sep, v]) => `${k}${sep}${v}`),
  fc.constantFrom(...SECTIONS).map((s) => `[${s}]`),
  fc.constantFrom('; comment', '# comment', '  continued', '\t', '', '[', ']', '=', 'key', '[vassal', 'command = a \\'),
  fc.string({ maxLength: 60 }),
);
const EOL = fc.constantFrom('\n', '\r\n', '\r', '\n\n');
const INI = fc.tuple(fc.boolean(), fc.array(fc.tuple(LINE, EOL), { maxLength: 40 }), fc.nat(3)).map(([bom, lines, huge]) => {
  let text = (bom ? '\uFEFF' : '') + lines.map(([l, e]) => l + e).join('');
  if (huge === 0) text += `command = /bin/echo ${'x'.repeat(200_000)}\n`;
  return text;
});
const BYTES = fc.uint8Array({ maxLength: 4096 });

let bytesParsed = 0;
let msSpent = 0;

// A result is usable (vassals and no error) or unusable with at least one located error.
function checkResult(text: string): void {
  const t0 = performance.now();
  const r = parseVassalFile(FILE, text, ENV);
  msSpent += performance.now() - t0;
  bytesParsed += Buffer.byteLength(text);
  for (const p of r.problems) {
    assert.equal(p.file, FILE);
    assert.ok(Number.isInteger(p.line) && p.line >= 0, `line ${p.line}`);
    assert.ok(typeof p.message === 'string' && p.message.length > 0);
  }
  const errors = r.problems.filter((p) => !p.warning);
  if (r.vassals.length === 0) assert.ok(errors.length > 0, `no vassal and no error for ${JSON.stringify(text.slice(0, 200))}`);
  else assert.equal(errors.length, 0);
}

test('fuzz: INI-shaped text in every dialect never throws; a spec or located errors', () => {
  fc.assert(fc.property(INI, (text) => checkResult(text)), { numRuns: RUNS });
});

test('fuzz: arbitrary bytes (invalid UTF-8, NUL) decoded as the emperor reads them', () => {
  fc.assert(
    fc.property(BYTES, (bytes) => {
      checkResult(Buffer.from(bytes).toString('utf8'));
      checkResult(`[vassal]\ncommand = x\n${Buffer.from(bytes).toString('latin1')}`);
    }),
    { numRuns: RUNS },
  );
});

test('fuzz: emperor check on arbitrary files exits 0 or 1 and prints FILE:LINE lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-fuzz-'));
  let files = 0;
  try {
    fc.assert(
      fc.property(fc.oneof(INI.map((t) => Buffer.from(t)), BYTES.map((b) => Buffer.from(b))), (content) => {
        const path = join(dir, `f${files++ % 50}.ini`);
        writeFileSync(path, content);
        const out: string[] = [];
        const code = runCheck([path], ENV, (t) => out.push(t), (t) => out.push(t));
        assert.ok(code === 0 || code === 1, `exit ${code}`);
        for (const line of out.join('').split('\n').filter((l) => l.startsWith('/'))) assert.match(line, /^\/[^:]+:\d+: /);
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz figures', () => {
  const perKib = msSpent / (bytesParsed / 1024);
  process.stdout.write(`# fuzz: ${RUNS} runs per property, ${(bytesParsed / 1024 / 1024).toFixed(1)} MiB parsed in ${msSpent.toFixed(0)} ms: ${perKib.toFixed(3)} ms per KiB (bound ${MAX_MS_PER_KIB})\n`);
  assert.ok(perKib < MAX_MS_PER_KIB, `${perKib} ms per KiB`);
});
