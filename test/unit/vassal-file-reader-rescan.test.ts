// A rescan of an unchanged directory gives the same desired vassals without reading anything again; a listing
// that could not be read whole (a file gone between list and read) is read again the next time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VassalLister } from '../../src/io/vassal-dir.ts';
import { VassalFileReader } from '../../src/runtime/vassal-file-reader.ts';

test('unchanged entries: the same answer; a file that vanished mid-read is looked at again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-reader-'));
  try {
    writeFileSync(join(dir, 'a.ini'), '[vassal]\ncommand = sleep 1\n');
    writeFileSync(join(dir, 'b.ini'), '[vassal]\nbogus-key = 1\n');
    const lister = new VassalLister(dir);
    const reader = new VassalFileReader({ PATH: '/usr/bin:/bin' }, () => {});
    const first = reader.read(lister.list());
    assert.deepEqual(first.map((d) => [d.name, d.spec === null]), [['a', false], ['b', true]]);
    const again = reader.read(lister.list());
    assert.deepEqual(again, first);
    assert.notEqual(again, first, 'a fresh array each time');
    writeFileSync(join(dir, 'c.ini'), '[vassal]\ncommand = sleep 2\n');
    const listed = lister.list();
    renameSync(join(dir, 'c.ini'), join(dir, 'c.away'));
    assert.deepEqual(reader.read(listed).map((d) => d.name), ['a', 'b'], 'gone between list and read: left for the next reconcile');
    renameSync(join(dir, 'c.away'), join(dir, 'c.ini'));
    assert.deepEqual(reader.read(listed).map((d) => d.name), ['a', 'b', 'c'], 'the same listing is read again, not answered from memory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
