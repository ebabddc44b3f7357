// supervisord compatibility, pure parts: XML-RPC codec, the process view, listener events and protocol, the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest, decodeCall, encodeFault, encodeResponse } from '../../src/supervisor/xmlrpc-codec.ts';
import { describe, namespec, processInfo, splitNamespec, uptimeText, type ProcessView } from '../../src/supervisor/process-view.ts';
import { dueTicks, envelope, processStateEvents, type TriesTable } from '../../src/supervisor/listener-events.ts';
import { ProtocolReader } from '../../src/supervisor/listener-protocol.ts';
import { parseSupervisorRpc, serverUrlOf } from '../../src/config/supervisor-rpc-address.ts';
import { subscribes } from '../../src/config/supervisord-listener.ts';
import { parseEmperorArgs, UsageError } from '../../src/cli/emperor-options.ts';
import type { LiveEvent } from '../../src/runtime/event-log.ts';

test('decodeCall reads every XML-RPC value type as xmlrpclib writes them', () => {
  const xml = `<?xml version='1.0'?>\n<methodCall>\n<methodName>x.y</methodName>\n<params>\n` +
    ['<string>a &amp; &lt;b&gt;</string>', '<int>-3</int>', '<i4>7</i4>', '<boolean>1</boolean>', '<double>1.5</double>', 'bare text',
      '<array><data>\n<value><int>1</int></value>\n<value><string>two</string></value>\n</data></array>',
      '<struct>\n<member>\n<name>k</name>\n<value><boolean>0</boolean></value>\n</member>\n</struct>', '<base64>aGk=</base64>', '<string></string>']
      .map((v) => `<param>\n<value>${v}</value>\n</param>\n`).join('') + '</params>\n</methodCall>\n';
  assert.deepEqual(decodeCall(xml), { method: 'x.y', params: ['a & <b>', -3, 7, true, 1.5, 'bare text', [1, 'two'], { k: false }, 'hi', ''] });
  assert.deepEqual(decodeCall('<methodCall><methodName>a.b</methodName></methodCall>'), { method: 'a.b', params: [] });
});

test('decodeCall refuses malformed XML, DOCTYPEs, deep nesting and bad values with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['<methodCall><methodName>a</methodName>', /malformed XML/],
    ['<!DOCTYPE x [<!ENTITY e "e">]><methodCall><methodName>a</methodName></methodCall>', /DOCTYPE/],
    ['<methodResponse/>', /not a <methodCall>/],
    ['<methodCall><params/></methodCall>', /no <methodName>/],
    ['<methodCall><methodName>a</methodName><params><param><value><int>x</int></value></param></params></methodCall>', /not an integer/],
    ['<methodCall><methodName>a</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>', /0 or 1/],
    ['<methodCall><methodName>a</methodName><params><param><value><blob>x</blob></value></param></params></methodCall>', /unknown value type/],
    [`<methodCall><methodName>a</methodName><params><param>${'<value><array><data>'.repeat(40)}${'</data></array></value>'.repeat(40)}</param></params></methodCall>`, /nested deeper|nested tags/],
  ];
  for (const [xml, why] of bad) assert.throws(() => decodeCall(xml), (err: unknown) => err instanceof BadRequest && why.test(err.message), xml.slice(0, 60));
});

test('responses and faults are written as xmlrpclib reads them, text escaped', () => {
  assert.equal(encodeResponse({ a: 1, b: 'x<&', c: [true, 2.5], d: null }),
    "<?xml version='1.0'?>\n<methodResponse><params><param><value><struct><member><name>a</name><value><int>1</int></value></member><member><name>b</name><value><string>x&lt;&amp;</string></value></member><member><name>c</name><value><array><data><value><boolean>1</boolean></value><value><double>2.5</double></value></data></array></value></member><member><name>d</name><value><string></string></value></member></struct></value></param></params></methodResponse>\n");
  assert.match(encodeFault(10, 'BAD_NAME: x'), /<fault><value><struct><member><name>faultCode<\/name><value><int>10<\/int><\/value><\/member><member><name>faultString<\/name><value><string>BAD_NAME: x<\/string>/);
});

const proc = (over: Partial<ProcessView>): ProcessView => ({
  group: 'web', name: 'web', index: 0, state: 'RUNNING', pid: 42, start: 1000, stop: 0, spawnerr: '', exitstatus: 0, stdoutLog: '', stderrLog: '', shared: false, ...over,
});

test('descriptions and names follow supervisord (rpcinterface._interpretProcessInfo, make_namespec, split_namespec)', () => {
  assert.equal(uptimeText(62), '0:01:02');
  assert.equal(uptimeText(90061), '1 day, 1:01:01');
  assert.equal(uptimeText(2 * 86400), '2 days, 0:00:00');
  assert.equal(describe(proc({}), 1062), 'pid 42, uptime 0:01:02');
  assert.equal(describe(proc({ state: 'FATAL', spawnerr: 'exited with code 1' }), 0), 'exited with code 1');
  assert.equal(describe(proc({ state: 'BACKOFF' }), 0), 'unknown error (try "tail web")');
  assert.equal(describe(proc({ state: 'STOPPED', start: 0 }), 0), 'Not started');
  assert.match(describe(proc({ state: 'EXITED', stop: 2000 }), 0), /^[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M$/);
  assert.equal(describe(proc({ state: 'STOPPING' }), 0), '');
  assert.deepEqual(Object.keys(processInfo(proc({}), 1062)), ['name', 'group', 'start', 'stop', 'now', 'state', 'statename', 'spawnerr', 'exitstatus', 'logfile', 'stdout_logfile', 'stderr_logfile', 'pid', 'description']);
  assert.equal(processInfo(proc({ state: 'FATAL' }), 0).state, 200);
  assert.equal(namespec({ group: 'web', name: 'web' }), 'web');
  assert.equal(namespec({ group: 'pool', name: 'pool_1' }), 'pool:pool_1');
  assert.deepEqual([splitNamespec('web'), splitNamespec('pool:*'), splitNamespec('pool:'), splitNamespec('pool:pool_0')], [['web', 'web'], ['pool', null], ['pool', null], ['pool', 'pool_0']]);
});

const ctx = { processName: 'app', groupName: 'app', expected: (code: number | null, signal: string | null) => signal === null && code === 0 };
const ev = (from: string, state: string, more: Partial<LiveEvent> = {}): LiveEvent => ({ level: 'info', vassal: 'app', instance: 0, from, state, pid: 7, time: 0, ...more });

test('emperor transitions become the PROCESS_STATE events supervisord sends, in its order', () => {
  const t: TriesTable = new Map();
  const seq = (e: LiveEvent): string[] => processStateEvents(e, ctx, t).map((x) => `${x.type} ${x.payload}`);
  assert.deepEqual(seq(ev('STOPPED', 'STARTING', { pid: null })), ['PROCESS_STATE_STARTING processname:app groupname:app from_state:STOPPED tries:0']);
  assert.deepEqual(seq(ev('STARTING', 'STARTING')), [], 'the pid becoming known is no new state');
  assert.deepEqual(seq(ev('STARTING', 'RUNNING')), ['PROCESS_STATE_RUNNING processname:app groupname:app from_state:STARTING pid:7']);
  assert.deepEqual(seq(ev('RUNNING', 'STARTING', { code: 3 })), [
    'PROCESS_STATE_EXITED processname:app groupname:app from_state:RUNNING expected:0 pid:7',
    'PROCESS_STATE_STARTING processname:app groupname:app from_state:EXITED tries:0',
  ]);
  assert.deepEqual(seq(ev('STARTING', 'BACKOFF')), ['PROCESS_STATE_BACKOFF processname:app groupname:app from_state:STARTING tries:1']);
  assert.deepEqual(seq(ev('BACKOFF', 'STARTING', { pid: null })), ['PROCESS_STATE_STARTING processname:app groupname:app from_state:BACKOFF tries:1']);
  assert.deepEqual(seq(ev('STARTING', 'BACKOFF')), ['PROCESS_STATE_BACKOFF processname:app groupname:app from_state:STARTING tries:2']);
  assert.deepEqual(seq(ev('BACKOFF', 'FATAL')), ['PROCESS_STATE_FATAL processname:app groupname:app from_state:BACKOFF']);
  assert.deepEqual(seq(ev('RUNNING', 'EXITED', { code: 0 })), ['PROCESS_STATE_EXITED processname:app groupname:app from_state:RUNNING expected:1 pid:7']);
  assert.deepEqual(seq(ev('RUNNING', 'STOPPING')), ['PROCESS_STATE_STOPPING processname:app groupname:app from_state:RUNNING pid:7']);
  assert.deepEqual(seq(ev('STOPPING', 'STOPPED')), ['PROCESS_STATE_STOPPED processname:app groupname:app from_state:STOPPING pid:7']);
  assert.deepEqual(seq({ level: 'info', vassal: 'app', message: 'found x' } as LiveEvent), []);
});

test('ticks fire when their slice changes; the envelope counts payload bytes', () => {
  const last = new Map<number, number>();
  assert.deepEqual(dueTicks(last, 1003), []);
  assert.deepEqual(dueTicks(last, 1004.9), []);
  assert.deepEqual(dueTicks(last, 1005.2), [{ type: 'TICK_5', payload: 'when:1005' }]);
  assert.deepEqual(dueTicks(last, 1020).map((x) => x.type), ['TICK_5', 'TICK_60']);
  assert.equal(envelope({ type: 'TICK_5', payload: 'é' }, 3, 'p', 1), 'ver:3.0 server:supervisor serial:3 pool:p poolserial:1 eventname:TICK_5 len:2\né');
  assert.ok(subscribes(['PROCESS_STATE'], 'PROCESS_STATE_EXITED') && subscribes(['EVENT'], 'TICK_5') && !subscribes(['TICK_60'], 'TICK_5'));
});

test('the listener protocol: READY, RESULT N with its body, junk and broken output', () => {
  const r = new ProtocolReader();
  assert.deepEqual(r.feed('REA'), []);
  assert.deepEqual(r.feed('DY\n'), [{ kind: 'ready' }]);
  r.expectResult();
  assert.deepEqual(r.feed('RESULT 2\nO'), []);
  assert.deepEqual(r.feed('KREADY\n'), [{ kind: 'result', ok: true, body: 'OK' }, { kind: 'ready' }]);
  r.expectResult();
  assert.deepEqual(r.feed('RESULT 4\nFAIL'), [{ kind: 'result', ok: false, body: 'FAIL' }]);
  assert.deepEqual(r.feed('hello\nREADY\n'), [{ kind: 'junk', text: 'hello\n' }, { kind: 'ready' }]);
  r.expectResult();
  assert.equal(r.feed('OK\n')[0]?.kind, 'broken');
});

test('--supervisor-rpc: the accepted forms, TCP only with credentials, a bad value stops the start', () => {
  assert.deepEqual(parseSupervisorRpc('unix:/run/s.sock', false), { ok: true, value: { kind: 'unix', path: '/run/s.sock' } });
  assert.deepEqual(parseSupervisorRpc('unix:///run/s.sock', false), { ok: true, value: { kind: 'unix', path: '/run/s.sock' } });
  assert.equal(parseSupervisorRpc('tcp://127.0.0.1:9001', true).ok, true);
  const noAuth = parseSupervisorRpc('tcp://127.0.0.1:9001', false);
  assert.ok(!noAuth.ok && /--supervisor-rpc-auth FILE/.test(noAuth.message));
  const bad = parseSupervisorRpc('http://127.0.0.1:9001', true);
  assert.ok(!bad.ok && /`unix:\/PATH`.*`tcp:\/\/HOST:PORT`/.test(bad.message));
  assert.equal(serverUrlOf({ kind: 'unix', path: '/run/s.sock' }), 'unix:///run/s.sock');
  assert.equal(serverUrlOf({ kind: 'tcp', host: '::1', port: 9001 }), 'http://[::1]:9001');
  const cmd = parseEmperorArgs(['--supervisor-rpc', 'unix:/run/s.sock'], {}, 0);
  assert.ok(cmd.kind === 'run' && cmd.settings.supervisorRpc?.kind === 'unix');
  assert.throws(() => parseEmperorArgs(['--supervisor-rpc', 'unix:relative'], {}, 0), UsageError);
  assert.throws(() => parseEmperorArgs(['--supervisor-rpc-auth', '/etc/x'], {}, 0), /needs --supervisor-rpc/);
  const unit = parseEmperorArgs(['systemd-unit', '--supervisor-rpc', 'unix:/run/emperor/supervisor.sock'], {}, 0);
  assert.ok(unit.kind === 'systemd-unit' && unit.args.join(' ') === '--supervisor-rpc unix:/run/emperor/supervisor.sock');
});

test('an emperor without --supervisor-rpc loads none of the interface\'s code nor its XML parser (dynamic import only)', async () => {
  const { readFileSync } = await import('node:fs');
  const { dirname, relative, resolve } = await import('node:path');
  const src = resolve(import.meta.dirname, '../../src');
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import\s(?!type\s)[^;]*?from\s+'([^']+)'/gms)) if (m[1]?.startsWith('.')) walk(resolve(dirname(file), m[1]));
  };
  walk(resolve(src, 'cli/emperor.ts'));
  const loaded = [...seen].map((f) => relative(src, f));
  assert.deepEqual(loaded.filter((f) => /^supervisor\/(rpc-|xmlrpc-|start-rpc|fleet)/.test(f)), []);
  for (const f of seen) assert.doesNotMatch(readFileSync(f, 'utf8'), /from 'fast-xml-parser'/, relative(src, f));
});

test('[eventlistener:x] is read as a program plus events, buffer_size and result_handler, each problem at its line', async () => {
  const { parseVassalFile, formatProblem } = await import('../../src/config/parse-file.ts');
  const { readIni } = await import('../../src/config/ini-source.ts');
  const { buildSupervisordParts, supervisordDialect } = await import('../../src/config/supervisord-dialect.ts');
  const bad = '[eventlistener:x]\ncommand = /bin/cat\nevents = PROCESS_STATE,PROCES_LOG\nbuffer_size = -1\nredirect_stderr = true\nresult_handler = a:b\nfoo = 1\n[eventlistener:y]\ncommand = /bin/cat\nevents = PROCESS_COMMUNICATION\n';
  assert.deepEqual(parseVassalFile('/v/l.conf', bad, {}).problems.map(formatProblem), [
    '/v/l.conf:3: `events`: unknown event type `PROCES_LOG`; did you mean `PROCESS_LOG`?',
    '/v/l.conf:4: `buffer_size`: expected a whole number from 1 to 1000000, got `-1`',
    '/v/l.conf:5: `redirect_stderr` cannot be true for an event listener: its stdout is the protocol; log its stderr with `stderr_logfile`',
    '/v/l.conf:6: `result_handler`: emperor runs supervisord\'s default handler only; remove the line (or write `supervisor.dispatchers:default_handler`)',
    '/v/l.conf:7: unknown key `foo` in [eventlistener:x]: supervisord has no such key; remove it or correct its name',
    '/v/l.conf:10: warning: `events`: emperor never sends PROCESS_COMMUNICATION; this listener will not receive it',
  ]);
  const good = '[program:web]\ncommand = sleep 1\n[eventlistener:mail]\ncommand = crashmail -a\nevents = PROCESS_STATE_EXITED, TICK_60\nbuffer_size = 3\nnumprocs = 2\nprocess_name = %(program_name)s_%(process_num)s\n';
  const parsed = parseVassalFile('/v/a.conf', good, {});
  assert.deepEqual([parsed.problems, parsed.vassals.map((v) => v.name)], [[], ['web']]);
  const parts = buildSupervisordParts(readIni('/v/a.conf', good, supervisordDialect.readOptions), { file: '/v/a.conf', name: 'a', env: {} });
  const [l] = parts.listeners;
  assert.deepEqual([l?.name, l?.events, l?.bufferSize, l?.process.command, l?.process.instanceNames], ['mail', ['PROCESS_STATE_EXITED', 'TICK_60'], 3, ['crashmail', '-a'], ['mail_0', 'mail_1']]);
  assert.deepEqual(parseVassalFile('/v/only.conf', '[eventlistener:l]\ncommand = x\nevents = TICK_5\n', {}), { file: '/v/only.conf', vassals: [], problems: [], dialect: 'supervisord' });
});
