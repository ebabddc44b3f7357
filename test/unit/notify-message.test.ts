import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_STATUS_CHARS, notifyEvent, parseNotify } from '../../src/core/notify-message.ts';
import { decodeVassalByte, vassalByteEvent } from '../../src/core/uwsgi-emperor-protocol.ts';

test('sd_notify: every assignment the emperor acts on, in order', () => {
  const text = 'READY=1\nSTATUS=Processing requests...\nWATCHDOG=1\nMAINPID=4711\nEXTEND_TIMEOUT_USEC=5000500\nERRNO=2\nRELOADING=1\nSTOPPING=1\nWATCHDOG=trigger\n';
  assert.deepEqual(parseNotify(text), [
    { kind: 'ready' },
    { kind: 'status', text: 'Processing requests...' },
    { kind: 'watchdog' },
    { kind: 'mainpid', pid: 4711 },
    { kind: 'extend-timeout', ms: 5001 },
    { kind: 'errno', errno: 2 },
    { kind: 'reloading' },
    { kind: 'stopping' },
    { kind: 'watchdog-trigger' },
  ]);
});

test('sd_notify: unknown keys, bad values and junk are dropped, as systemd drops them', () => {
  assert.deepEqual(parseNotify('READY=0\nREADY=yes\nFDSTORE=1\n=1\nnonsense\nMAINPID=abc\nMAINPID=1\nMAINPID=-5\nEXTEND_TIMEOUT_USEC=\nERRNO=0'), []);
  assert.deepEqual(parseNotify('STATUS='), [{ kind: 'status', text: '' }]);
  assert.equal((parseNotify(`STATUS=${'x'.repeat(5000)}`)[0] as { text: string }).text.length, MAX_STATUS_CHARS);
  assert.deepEqual(parseNotify('STATUS=a=b'), [{ kind: 'status', text: 'a=b' }]);
});

test('sd_notify: what each message means to the lifecycle', () => {
  assert.deepEqual(notifyEvent({ kind: 'ready' }).event, { type: 'ready', how: 'READY=1' });
  assert.deepEqual(notifyEvent({ kind: 'watchdog' }).event, { type: 'watchdog-ping' });
  assert.deepEqual(notifyEvent({ kind: 'status', text: 's' }).event, { type: 'status', text: 's' });
  assert.deepEqual(notifyEvent({ kind: 'extend-timeout', ms: 10 }).event, { type: 'extend-timeout', ms: 10 });
  assert.equal(notifyEvent({ kind: 'stopping' }).event, null);
  assert.match(notifyEvent({ kind: 'errno', errno: 2 }).note ?? '', /errno 2/);
});

test('uWSGI Emperor protocol: the bytes a vassal sends', () => {
  assert.deepEqual([1, 2, 5, 17, 22, 26, 30, 99].map((b) => decodeVassalByte(b).kind), [
    'spawned', 'config-request', 'accepting', 'loyal', 'voluntary-shutdown', 'heartbeat', 'broodlord', 'unknown',
  ]);
  assert.deepEqual(vassalByteEvent(decodeVassalByte(5)).event, { type: 'ready', how: 'uWSGI 5: accepting requests' });
  assert.deepEqual(vassalByteEvent(decodeVassalByte(26)).event, { type: 'watchdog-ping' });
  assert.deepEqual(vassalByteEvent(decodeVassalByte(22)).event, { type: 'stop-requested', why: 'the vassal asked to be stopped (uWSGI 22)' });
  assert.equal(vassalByteEvent(decodeVassalByte(1)).event, null);
  assert.match(vassalByteEvent(decodeVassalByte(30)).note ?? '', /Broodlord.*refused/);
  assert.match(vassalByteEvent(decodeVassalByte(17)).note ?? '', /loyal/);
});
