// The reader's answer: a name two files define is an error naming both; a supervisord file gives each program;
// a file of listeners only gives nothing; an unchanged file gives the very same desired record (its vassal keeps it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VassalLister } from '../../src/io/vassal-dir.ts';
import { VassalFileReader } from '../../src/runtime/vassal-file-reader.ts';

function withDir(fn: (dir: string, lister: VassalLister, reader: VassalFileReader) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'emperor-reader-'));
  try {
    fn(dir, new VassalLister(dir), new VassalFileReader({ PATH: '/usr/bin:/bin' }, () => {}));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a name two files define is INVALID, naming both files, with both versions', () => {
  withDir((dir, lister, reader) => {
    writeFileSync(join(dir, 'web.ini'), '[vassal]\ncommand = sleep 1\n');
    writeFileSync(join(dir, 'web.conf'), '[vassal]\ncommand = sleep 2\n');
    const [d, ...rest] = reader.read(lister.list());
    assert.equal(rest.length, 0);
    assert.equal(d?.spec, null);
    assert.equal(d?.error, `${join(dir, 'web.ini')}:1: vassal name web is also defined by ${join(dir, 'web.conf')}; rename one of the files`);
    assert.match(d?.version ?? '', /^v\d+\+v\d+$/);
  });
});

test('a supervisord file gives each program; a file of listeners only gives nothing', () => {
  withDir((dir, lister, reader) => {
    writeFileSync(join(dir, 'apps.conf'), '[program:one]\ncommand = sleep 1\n\n[program:two]\ncommand = sleep 2\n');
    writeFileSync(join(dir, 'hooks.conf'), '[eventlistener:hook]\ncommand = cat\nevents = PROCESS_STATE\n');
    const got = reader.read(lister.list());
    assert.deepEqual(got.map((d) => [d.name, d.dialect, d.spec?.command]), [['one', 'supervisord', ['sleep', '1']], ['two', 'supervisord', ['sleep', '2']]]);
  });
});

test('an unchanged file gives the same desired record; an edit gives a new one', () => {
  withDir((dir, lister, reader) => {
    writeFileSync(join(dir, 'a.ini'), '[vassal]\ncommand = sleep 1\n');
    writeFileSync(join(dir, 'b.ini'), '[vassal]\ncommand = sleep 1\n');
    const [a1, b1] = reader.read(lister.list());
    writeFileSync(join(dir, 'b.ini'), '[vassal]\ncommand = sleep 2\n');
    const [a2, b2] = reader.read(lister.list());
    assert.equal(a2, a1, 'a: unchanged, the same record');
    assert.notEqual(b2, b1);
    assert.deepEqual(b2?.spec?.command, ['sleep', '2']);
    assert.equal(b2?.spec?.restart, 'always', 'defaults read through');
  });
});
