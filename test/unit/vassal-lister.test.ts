// The rescan's listing: every file stat'ed each time; an unchanged file keeps its entry object, a changed one gets a new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listVassalFiles, VassalLister } from '../../src/io/vassal-dir.ts';

test('unchanged files keep their entries; an edit, a new file and a removal show; others are skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-lister-'));
  try {
    writeFileSync(join(dir, 'b.ini'), '[vassal]\ncommand = sleep 1\n');
    writeFileSync(join(dir, 'a.conf'), '[vassal]\ncommand = sleep 1\n');
    writeFileSync(join(dir, 'README'), 'not a vassal\n');
    mkdirSync(join(dir, 'd.ini'));
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling.ini'));
    const lister = new VassalLister(dir);
    const first = lister.list();
    assert.deepEqual(first.map((e) => e.fileName), ['a.conf', 'b.ini']);
    assert.deepEqual(first, listVassalFiles(dir), 'the same listing as a one-off list');
    const again = lister.list();
    assert.equal(again[0], first[0], 'unchanged: the same entry object');
    assert.equal(again[1], first[1]);
    utimesSync(join(dir, 'b.ini'), new Date(), new Date(Date.now() + 5000));
    writeFileSync(join(dir, 'c.ini'), '[vassal]\ncommand = sleep 1\n');
    rmSync(join(dir, 'a.conf'));
    const third = lister.list();
    assert.deepEqual(third.map((e) => e.fileName), ['b.ini', 'c.ini']);
    assert.notEqual(third[0], first[1], 'touched: a new entry');
    assert.notEqual(third[0]?.stamp.mtimeMs, first[1]?.stamp.mtimeMs);
    writeFileSync(join(dir, 'a.conf'), '[vassal]\ncommand = sleep 2\n');
    const fourth = lister.list();
    assert.equal(fourth[0]?.fileName, 'a.conf', 'back again: listed');
    assert.equal(fourth[1], third[0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory that cannot be read throws, as a one-off list does', () => {
  const lister = new VassalLister(join(tmpdir(), 'emperor-lister-missing-dir'));
  assert.throws(() => lister.list(), /ENOENT/);
});
