import { test } from 'node:test';
import assert from 'node:assert/strict';
import ini from 'ini';
import { readIni } from '../../src/config/ini-source.ts';

/**
 * Valid native files within what both readers agree on: no quotes (ini unquotes), no `#` or bare `;`
 * inside values (ini cuts them), no repeated keys (ini keeps the last), no dotted section names
 * (ini nests them), no continuation lines (ini has none).
 */
const FILES: Record<string, string> = {
  minimal: '[vassal]\ncommand = /usr/bin/python3 app.py\n',
  spaced: '; a web app\n[vassal]\ncommand=/srv/app/bin/server --port 8080\ndirectory   =   /srv/app  \nuser = www-data\n\n',
  comments: '# header\n[vassal]\ncommand = /bin/worker ; the worker\n; comment line\nstart-secs = 5s ; wait\nrestart = on-failure\n',
  crlf: '[vassal]\r\ncommand = /bin/app\r\nenv = A=1\r\nstop-signal = INT\r\n',
  full: [
    '[vassal]',
    'command = %d/bin/server --id %i',
    'directory = data/%n',
    'env = PORT=$(PORT)',
    'umask = 027',
    'autostart = no',
    'instances = 4',
    'exit-codes = 0, 2',
    'backoff-max = 5m',
    'stdout-log = %n.out',
    'depends = db, cache',
    '',
  ].join('\n'),
  empty: '[vassal]\ncommand = /bin/true\nreload-signal =\n',
};

/** What ini.parse holds for a value, as text: it turns `true`/`false` into booleans. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

for (const [name, text] of Object.entries(FILES)) {
  test(`our reader and the ini package agree on "${name}"`, () => {
    const ours = readIni('/v/x.ini', text);
    assert.deepEqual(ours.problems, []);
    const theirs = ini.parse(text);
    const ourSections: Record<string, Record<string, string>> = {};
    for (const section of ours.sections) {
      const keys: Record<string, string> = (ourSections[section.name] ??= {});
      for (const entry of section.entries) keys[entry.key] = entry.value;
    }
    const theirSections: Record<string, Record<string, string>> = {};
    for (const [section, keys] of Object.entries(theirs)) {
      assert.equal(typeof keys, 'object', `${section} is a section`);
      theirSections[section] = Object.fromEntries(
        Object.entries(keys as Record<string, unknown>).map(([k, v]) => [k, asText(v)]),
      );
    }
    assert.deepEqual(ourSections, theirSections);
  });
}
