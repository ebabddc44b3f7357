// The etcd source over a fake etcd and fake timers: list then watch from revision + 1, only its own
// prefixes, the last known set kept (and saved) while etcd is gone, backoff capped at 5 s, relist on a
// cancelled watch, and keys judged as files are (root rule, directory, names, size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdSource, ETCD_BACKOFF_CAP_MS } from '../../src/runtime/etcd-source.ts';
import type { KeyValue } from '../../src/runtime/etcd-vassals.ts';
import { EventLog } from '../../src/runtime/event-log.ts';
import { parseEtcdUrl } from '../../src/config/etcd-url.ts';
import { FakeTime, fixedRandom, flush } from './fakes/runtime-time.ts';
import { FakeEtcd } from './fakes/etcd-connection.ts';

const URL = 'etcd://127.0.0.1:2379/emp';
const file = (extra = ''): string => `[vassal]\ncommand = sleep 1\nuser = nobody\n${extra}`;

function source(etcd: FakeEtcd, cached: KeyValue[] | null = null, trust = { root: false, allowRoot: false }) {
  const time = new FakeTime();
  const lines: string[] = [];
  const saved: KeyValue[][] = [];
  const address = parseEtcdUrl(URL);
  if (!address.ok) throw new Error(address.message);
  const s = new EtcdSource({
    address: address.value,
    host: 'a',
    connect: () => Promise.resolve(etcd),
    cache: { load: () => cached, save: (kvs) => void saved.push(kvs) },
    timers: time.timers,
    random: fixedRandom(1),
    env: {},
    trust,
    events: new EventLog('text', (l) => void lines.push(l)),
  });
  let changes = 0;
  s.watch(() => void changes++);
  return { s, time, lines, saved, changes: () => changes };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await flush();
};
const names = (s: EtcdSource): string[] => s.read().map((d) => d.name).sort();

test('lists all/ and hosts/a/ (never the whole prefix), then watches each from its revision + 1', async () => {
  const etcd = new FakeEtcd();
  etcd.put('emp/all/web.ini', file());
  etcd.put('emp/hosts/a/mine.ini', file());
  etcd.put('emp/hosts/b/theirs.ini', file());
  const { s, saved, changes } = source(etcd);
  await settle();
  assert.deepEqual(etcd.lists, ['emp/all/', 'emp/hosts/a/']);
  assert.deepEqual(etcd.watches.map((w) => [w.prefix, w.from]), [['emp/all/', 5], ['emp/hosts/a/', 5]]);
  assert.deepEqual(names(s), ['mine', 'web']);
  assert.equal(s.read().find((d) => d.name === 'web')?.file, 'etcd://127.0.0.1:2379/emp/all/web.ini');
  assert.equal(s.health().healthy, true);
  assert.equal(saved.length, 1);
  assert.equal(changes(), 1);
});

test('put, touch (same value, new revision), bad value and delete behave as files do', async () => {
  const etcd = new FakeEtcd();
  etcd.put('emp/all/web.ini', file());
  const { s, changes } = source(etcd);
  await settle();
  const v1 = s.read()[0]?.version;
  etcd.put('emp/all/web.ini', file());
  const v2 = s.read()[0]?.version;
  assert.notEqual(v1, v2, 'a touch is a new version');
  etcd.put('emp/all/web.ini', file('bogus = 1\n'));
  assert.match(s.read()[0]?.error ?? '', /emp\/all\/web.ini:4: unknown key `bogus`/);
  etcd.del('emp/all/web.ini');
  assert.deepEqual(names(s), []);
  assert.equal(changes(), 4);
});

test('losing etcd keeps the set; reconnecting waits at most 5 s between tries; a cancelled watch lists again', async () => {
  const etcd = new FakeEtcd();
  etcd.put('emp/all/web.ini', file());
  const { s, time, lines } = source(etcd);
  await settle();
  etcd.watches[0]?.h.disconnected(new Error('no leader'));
  assert.equal(s.health().healthy, false);
  assert.match(s.health().detail ?? '', /running the last known set \(1 keys\)/);
  assert.deepEqual(names(s), ['web']);
  etcd.watches[0]?.h.connected();
  await settle();
  assert.equal(s.health().healthy, true);
  // A compaction cancels the watch: list again, watch from the new revision.
  etcd.down = true;
  etcd.watches[0]?.h.failed(new Error('required revision has been compacted'));
  await settle();
  assert.deepEqual(names(s), ['web'], 'the failed relist keeps the set');
  const tries = (): number => etcd.lists.length;
  let before = tries();
  for (let i = 0; i < 12; i++) {
    time.advance(ETCD_BACKOFF_CAP_MS);
    await settle();
    assert.ok(tries() > before, `a try within 5 s (round ${i})`);
    before = tries();
  }
  etcd.down = false;
  etcd.put('emp/all/new.ini', file());
  time.advance(ETCD_BACKOFF_CAP_MS);
  await settle();
  assert.deepEqual(names(s), ['new', 'web']);
  assert.equal(s.health().healthy, true);
  assert.ok(lines.some((l) => /reachable again/.test(l)), lines.join(''));
});

test('an emperor started while etcd is down runs the set saved in its state directory', async () => {
  const etcd = new FakeEtcd();
  etcd.down = true;
  const cached: KeyValue[] = [{ key: 'emp/all/web.ini', value: file(), bytes: 40, modRevision: 7 }];
  const { s } = source(etcd, cached);
  await settle();
  assert.deepEqual(names(s), ['web']);
  assert.equal(s.health().healthy, false);
});

test('keys are judged as files: names, size, directory, and the root rule', async () => {
  const etcd = new FakeEtcd();
  etcd.put('emp/all/notes.txt', 'x');
  etcd.put('emp/all/big.ini', `${file()}#${'x'.repeat(1024 * 1024)}\n`);
  etcd.put('emp/all/rel.ini', file('directory = srv\n'));
  etcd.put('emp/all/abs.ini', file('directory = /srv\n'));
  etcd.put('emp/all/here.ini', '[vassal]\ncommand = echo %p %d\nuser = nobody\n');
  etcd.put('emp/all/asroot.ini', '[vassal]\ncommand = sleep 1\n');
  const { s, lines } = source(etcd, null, { root: true, allowRoot: false });
  await settle();
  const by = new Map(s.read().map((d) => [d.name, d]));
  assert.equal(by.has('notes'), false);
  assert.ok(lines.some((l) => /notes.txt is not a vassal file name/.test(l)));
  assert.match(s.health().detail ?? '', /1 key ignored .*emp\/all\/notes.txt/);
  assert.match(by.get('big')?.error ?? '', /a vassal file may hold at most 1048576 bytes/);
  assert.match(by.get('rel')?.error ?? '', /`directory` must be absolute/);
  assert.equal(by.get('abs')?.spec?.directory, '/srv');
  assert.equal(by.get('here')?.spec?.directory, '/');
  assert.deepEqual(by.get('here')?.spec?.command, ['echo', 'emp/all/here.ini', 'emp/all']);
  assert.match(by.get('asroot')?.error ?? '', /must name a `user` other than root/);
});

// Regression (issue 18): the health flapped to ok while the cluster had no leader, because the watch
// stream said it was connected before the member (whose leader had just gone) cancelled it.
test('a watch that reconnects while reads still fail (no leader) leaves the source down', async () => {
  const etcd = new FakeEtcd();
  etcd.put('emp/all/web.ini', file());
  const { s } = source(etcd);
  await settle();
  assert.equal(s.health().healthy, true);
  etcd.watches[0]?.h.disconnected(new Error('etcdserver: no leader'));
  etcd.down = true;
  etcd.watches[0]?.h.connected();
  await settle();
  assert.equal(s.health().healthy, false, 'connected, but a read that needs a leader fails');
  assert.match(s.health().detail ?? '', /unreachable/);
  etcd.down = false;
  etcd.watches[0]?.h.connected();
  await settle();
  assert.equal(s.health().healthy, true, 'ok once a read succeeds');
});
