// The README's reference tables against the code's own: vassal keys (names, defaults, what an edit
// does), the dialects' keys, the emperor's options, emperorctl's commands and the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { formatProblem, parseVassalFile } from '../../src/config/parse-file.ts';
import { fieldOf, NATIVE_KEYS, type NativeKey } from '../../src/config/native-keys.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { classifyChange } from '../../src/core/spec-change.ts';
import { IGNORED_KEYS, MAPPED_KEYS } from '../../src/config/supervisord-keys.ts';
import { DAEMON_KEYS } from '../../src/config/uwsgi-daemons.ts';
import { isDaemonOnly } from '../../src/config/uwsgi-dialect.ts';
import type { IniEntry } from '../../src/config/ini-source.ts';
import { ALL_OPTIONS, parseEmperorArgs, UNIT_ONLY, UsageError } from '../../src/cli/emperor-options.ts';
import { HELP } from '../../src/cli/emperor-help.ts';
import { UNIT_DEFAULTS } from '../../src/cli/systemd-unit-options.ts';
import { COMMAND_HELP, CTL_COMMANDS, CTL_HELP } from '../../src/cli/ctl-help.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import type { StatsDocument } from '../../src/control/protocol.ts';

const ROOT = new URL('../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');
const DESIGN = readFileSync(new URL('docs/design.md', ROOT), 'utf8');

/** The rows (cells, header and rule left out) of the first table after the heading that starts with `heading`. */
function tableAfter(heading: string): string[][] {
  const lines = README.split('\n');
  const at = lines.findIndex((l) => /^#{2,4} /.test(l) && l.replace(/^#+ /, '').startsWith(heading));
  assert.ok(at >= 0, `README has a heading ${heading}`);
  let i = at + 1;
  while (i < lines.length && !(lines[i] ?? '').startsWith('|')) {
    assert.ok(!/^#{2,4} /.test(lines[i] ?? ''), `a table follows the heading ${heading}`);
    i++;
  }
  const rows: string[][] = [];
  for (; i < lines.length && (lines[i] ?? '').startsWith('|'); i++) {
    // `\|` inside a cell is a literal bar, not a column boundary.
    const cells = (lines[i] ?? '').replace(/\\\|/g, '\u0000').split('|').slice(1, -1);
    rows.push(cells.map((c) => c.replace(/\u0000/g, '|').trim()));
  }
  return rows.slice(2);
}

/** The text of the first `code` span of a cell, or null. */
const code = (cell: string | undefined): string | null => /`([^`]+)`/.exec(cell ?? '')?.[1] ?? null;
/** The cell's first code span, when the cell is exactly that span. */
const literal = (cell: string | undefined): string | null => (/^`([^`]+)`$/.exec(cell ?? '')?.[1] ?? null);
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

const DIR = '/etc/emperor/vassals';
/** The one vassal of a native file (with `command = x` unless the body brings its own program). */
function vassal(body: string): VassalSpec {
  const own = /^(command|smart-attach-daemon) =/m.test(body);
  const r = parseVassalFile(`${DIR}/web.ini`, `[vassal]\n${own ? '' : 'command = x\n'}${body}`, { HOME: '/root' });
  assert.deepEqual(r.problems.filter((p) => !p.warning).map(formatProblem), [], body);
  assert.equal(r.vassals.length, 1);
  return r.vassals[0] as VassalSpec;
}

const nativeRows = tableAfter('Keys of `[vassal]`');

test('the README key table lists every native key once, and no other', () => {
  const keys = nativeRows.map((r) => code(r[0]) ?? '');
  assert.equal(new Set(keys).size, keys.length, 'no key twice');
  assert.deepEqual(sorted(keys), sorted(NATIVE_KEYS));
});

test('each default the README key table gives as a value is the default the parser gives', () => {
  const base = vassal('') as unknown as Record<string, unknown>;
  let checked = 0;
  for (const row of nativeRows) {
    const key = code(row[0]) as NativeKey;
    const value = literal(row[2]);
    if (value === null) continue;
    const written = vassal(`${key} = ${value}\n`) as unknown as Record<string, unknown>;
    assert.deepEqual(written[fieldOf(key)], base[fieldOf(key)], `${key} = ${value} is the default`);
    checked++;
  }
  assert.ok(checked >= 15, `${checked} defaults checked`);
});

// A value for each key that differs from the default (and from `command = x`).
const OTHER_VALUE: Readonly<Record<NativeKey, string>> = {
  command: 'y', 'smart-attach-daemon': '/run/web.pid redis-server', directory: '/srv', env: 'A=1', user: 'nobody',
  group: 'nogroup', umask: '027', autostart: 'false', instances: '2', restart: 'never', 'exit-codes': '0,2',
  'start-secs': '5s', 'start-retries': '3', backoff: '2s', 'backoff-max': '90s', 'stop-signal': 'INT',
  'stop-timeout': '3s', 'reload-signal': 'HUP', log: '/var/log/web.log', 'stdout-log': '/var/log/out.log',
  'stderr-log': '/var/log/err.log', 'log-max-size': '1M', 'log-backups': '2', depends: 'db',
  'health-check': 'tcp://127.0.0.1:9', 'health-interval': '5s', 'health-timeout': '1s', 'health-retries': '5',
  'max-rss': '1G', socket: 'tcp://127.0.0.1:9999', alarm: 'pager',
  // `watchdog` and its signal need `notify` (a line of its own after the value).
  notify: 'true', watchdog: '5s\nnotify = true', 'watchdog-signal': 'KILL\nwatchdog = 5s\nnotify = true', 'start-timeout': '30s', 'ready-log-line': '^ready',
  schedule: '@daily', 'schedule-timezone': 'UTC', overlap: 'kill', 'catch-up': 'true',
  'memory-max': '256M', 'cpu-weight': '200', 'pids-max': '64',
};

test('what an edit of each key does, in the README key table, is what spec-change.ts decides', () => {
  const base = vassal('');
  for (const row of nativeRows) {
    const key = code(row[0]) as NativeKey;
    const kind = classifyChange(base, vassal(`${key} = ${OTHER_VALUE[key]}\n`));
    const expected = kind === 'supervision' && key === 'instances' ? 'resize' : kind;
    assert.equal(row[3], expected, `an edit of ${key}`);
  }
});

test('the README supervisord table lists every [program:x] key supervisord knows', () => {
  const keys = tableAfter('supervisord files').map((r) => code(r[0]) ?? '');
  assert.deepEqual(sorted(keys), sorted([...MAPPED_KEYS, ...Object.keys(IGNORED_KEYS)]));
});

test('each supervisord default the README gives as a value is the one a [program:x] gets', () => {
  const program = (extra: string): Omit<VassalSpec, 'lines'> => {
    const r = parseVassalFile(`${DIR}/web.conf`, `[program:web]\ncommand = x\n${extra}`, { HOME: '/root' });
    assert.deepEqual(r.problems.map(formatProblem), [], extra);
    const { lines: _lines, ...spec } = r.vassals[0] as VassalSpec;
    return spec;
  };
  const base = program('');
  let checked = 0;
  for (const row of tableAfter('supervisord files')) {
    const value = (row[2] ?? '').startsWith('`') ? code(row[2]) : null;
    if (value === null) continue;
    assert.deepEqual(program(`${code(row[0])} = ${value}\n`), base, `${code(row[0])} = ${value} is the default`);
    checked++;
  }
  assert.ok(checked >= 15, `${checked} defaults checked`);
});

test('the README uWSGI table lists the daemon keys and exactly what may go with them', () => {
  const keys = tableAfter('uWSGI files').map((r) => code(r[0]) ?? '');
  for (const k of DAEMON_KEYS) assert.ok(keys.includes(k), `${k} in the table`);
  const entry = (key: string, line: number): IniEntry => ({ key, value: 'x', line, bare: false, continuation: [] });
  for (const k of keys) assert.ok(isDaemonOnly([entry('attach-daemon', 1), entry(k, 2)]), `${k} keeps a file daemon-only`);
  for (const k of ['master', 'socket', 'module', 'http-socket']) assert.ok(!isDaemonOnly([entry('attach-daemon', 1), entry(k, 2)]), k);
});

const optionRows = tableAfter('Options');
const optionName = (row: string[]): string => /^--([a-z-]+)/.exec(code(row[0]) ?? '')?.[1] ?? '';

test('the README option table lists every option of emperor, and each is in --help and accepted', () => {
  const names = optionRows.map(optionName);
  assert.deepEqual(sorted(names), sorted(ALL_OPTIONS));
  for (const name of names) {
    assert.match(HELP, new RegExp(`--${name}\\b`), `--${name} in emperor --help`);
    try {
      parseEmperorArgs(name === 'tyrant' ? [`--${name}`] : [`--${name}`, '/nonexistent'], {}, 0);
    } catch (err) {
      assert.ok(err instanceof UsageError);
      assert.doesNotMatch(err.message, /unknown option/, `--${name}`);
    }
  }
  assert.throws(() => parseEmperorArgs(['--frobnicate', 'x'], {}, 0), /unknown option --frobnicate/);
});

test('the defaults in the README option table are the parser defaults', () => {
  const cmd = parseEmperorArgs([], { EMPEROR_STATE_DIR: '/s' }, 0);
  assert.equal(cmd.kind, 'run');
  if (cmd.kind !== 'run') return;
  const s = cmd.settings;
  const actual: Readonly<Record<string, string>> = {
    vassals: s.vassals, 'state-dir': s.stateDir, stats: s.stats, control: s.control, metrics: s.metrics,
    'log-dir': s.logDir, 'log-format': s.logFormat, 'sample-interval': `${s.sampleIntervalMs / 1000}s`,
    'rescan-interval': `${s.rescanIntervalMs / 1000}s`, uwsgi: s.uwsgi,
  };
  let checked = 0;
  for (const row of optionRows) {
    const name = optionName(row);
    const written = code(row[1]);
    if (written === null || actual[name] === undefined) continue;
    assert.equal(written.replace('<state-dir>', '/s').replace('$EMPEROR_STATE_DIR', '/s'), actual[name], `--${name}`);
    checked++;
  }
  assert.equal(checked, Object.keys(actual).length);
});

test('the README gives the state dir default in the order the parser looks for it', () => {
  const row = optionRows.find((r) => optionName(r) === 'state-dir');
  const spans = [...(row?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  assert.deepEqual(spans, ['$EMPEROR_STATE_DIR', '/run/emperor', '$XDG_RUNTIME_DIR/emperor', '/tmp/emperor-$UID']);
  const stateDir = (env: Record<string, string>, uid: number): string => {
    const cmd = parseEmperorArgs([], env, uid);
    return cmd.kind === 'run' ? cmd.settings.stateDir : '';
  };
  assert.equal(stateDir({ EMPEROR_STATE_DIR: '/s', XDG_RUNTIME_DIR: '/x' }, 0), '/s');
  assert.equal(stateDir({ XDG_RUNTIME_DIR: '/x' }, 0), '/run/emperor');
  assert.equal(stateDir({ XDG_RUNTIME_DIR: '/x' }, 1000), '/x/emperor');
  assert.equal(stateDir({}, 1000), '/tmp/emperor-1000');
});

test('the README systemd-unit table lists its own options with their defaults', () => {
  const rows = tableAfter('Installing the service');
  assert.deepEqual(sorted(rows.map(optionName)), sorted(UNIT_ONLY));
  const defaults: Readonly<Record<string, string>> = { 'timeout-stop': UNIT_DEFAULTS.timeoutStop, watchdog: UNIT_DEFAULTS.watchdog };
  for (const row of rows) assert.equal(literal(row[1]), defaults[optionName(row)]);
});

test('the README emperorctl table lists its commands in the order of its help', () => {
  const names = tableAfter('emperorctl').map((r) => (code(r[0]) ?? '').split(' ')[0]);
  assert.deepEqual(names, [...CTL_COMMANDS]);
  for (const name of names) assert.match(CTL_HELP, new RegExp(`^  ${name}\\b`, 'm'), `${name} in emperorctl --help`);
});

test('emperorctl accepts every command of the table (COMMAND --help prints its help, exit 0)', async () => {
  const run = promisify(execFile);
  const ctl = (args: string[]) =>
    // The bin runs dist/ (built first by `npm test`), or src/ through tsx when there is no build.
    run(process.execPath, ['bin/emperorctl.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, EMPEROR_STATE_DIR: '/nonexistent/emperor-readme-test' },
    });
  const outputs = await Promise.all(CTL_COMMANDS.map((c) => ctl([c, '--help'])));
  CTL_COMMANDS.forEach((c, i) => assert.equal(outputs[i]?.stdout, c === 'help' ? CTL_HELP : COMMAND_HELP[c], c));
  await assert.rejects(ctl(['frobnicate']), (err: { code?: number; stderr?: string }) => err.code === 2 && /unknown command frobnicate/.test(err.stderr ?? ''));
});

test('the README metric table lists every emperor_* metric of the registry, with its type', async () => {
  const empty: StatsDocument = { version: '0', pid: 1, started_at: 0, vassals_dir: DIR, totals: { vassals: 0 }, vassals: [] };
  const metrics = createMetrics({ snapshot: () => empty, cpuSeconds: () => 0, droppedLogBytes: () => 0 });
  const own = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('emperor_'));
  const rows = tableAfter('Metrics');
  assert.deepEqual(sorted(rows.map((r) => code(r[0]) ?? '')), sorted(own.map((m) => m.name)));
  for (const m of own) assert.equal(rows.find((r) => code(r[0]) === m.name)?.[1], String(m.type), m.name);
});

/** GitHub's anchor of a heading. */
const slug = (heading: string): string =>
  heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
const anchors = (text: string): Set<string> =>
  new Set(text.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));

test('every link into the README or docs/design.md names a heading that exists', () => {
  const own = anchors(README);
  const design = anchors(DESIGN);
  for (const [, target, anchor] of README.matchAll(/\]\(((?:docs\/design\.md)?)#([^)]+)\)/g)) {
    assert.ok((target === '' ? own : design).has(anchor as string), `${target}#${anchor}`);
  }
  for (const [, anchor] of DESIGN.matchAll(/\]\(\.\.\/README\.md#([^)]+)\)/g)) assert.ok(own.has(anchor as string), anchor);
});

test('## Development is among the last two sections of the README', () => {
  const sections = README.split('\n').filter((l) => l.startsWith('## '));
  assert.ok(sections.slice(-2).includes('## Development'), sections.slice(-3).join(', '));
});
