import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIgnoredFileName, stripVassalExtension, vassalNameOf } from '../../src/config/vassal-files.ts';

test('*.ini and *.conf files are vassals named without the extension', () => {
  assert.equal(vassalNameOf('web.ini'), 'web');
  assert.equal(vassalNameOf('api.conf'), 'api');
  assert.equal(vassalNameOf('my.app@2.ini'), 'my.app@2');
  assert.equal(vassalNameOf('web.ini.ini'), 'web.ini');
});

test('other extensions are not vassals', () => {
  for (const name of ['web', 'web.txt', 'web.INI', 'web.ini.orig', 'web.yaml', 'README', 'web.inix']) {
    assert.equal(vassalNameOf(name), null, name);
  }
});

test('dotfiles and editor or package leftovers are ignored', () => {
  const ignored = [
    '.web.ini',
    '.ini',
    '.hidden',
    'web.ini~',
    'web.ini.swp',
    '.web.ini.swp',
    'web.ini.swx',
    'web.ini.tmp',
    'web.tmp',
    'web.ini.bak',
    'web.conf.dpkg-dist',
    'web.conf.dpkg-old',
    'web.conf.dpkg-new',
    'web.conf.rpmnew',
    'web.conf.rpmsave',
    '#web.ini#',
    '##',
    '',
  ];
  for (const name of ignored) {
    assert.equal(isIgnoredFileName(name), true, name);
    assert.equal(vassalNameOf(name), null, name);
  }
});

test('ordinary names are not ignored', () => {
  for (const name of ['web.ini', 'web.conf', 'web#1.ini', '#web.ini', 'web.ini#', 'tmp.ini', 'bak.conf', 'web~x.ini']) {
    assert.equal(isIgnoredFileName(name), false, name);
  }
  assert.equal(vassalNameOf('#web.ini'), '#web');
});

test('stripVassalExtension keeps names without a vassal extension whole', () => {
  assert.equal(stripVassalExtension('web.ini'), 'web');
  assert.equal(stripVassalExtension('web.conf'), 'web');
  assert.equal(stripVassalExtension('web.txt'), 'web.txt');
});
