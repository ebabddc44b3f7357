import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandMagic } from '../../src/config/magic.ts';
import type { MagicContext } from '../../src/config/magic.ts';
import { expandInstance, INSTANCE_MARK } from '../../src/config/spec.ts';

const ctx: MagicContext = { file: '/etc/emperor/vassals/web.ini', name: 'web', env: { HOME: '/root', EMPTY: '', PCT: '%i' } };
const expand = (s: string): string => {
  const r = expandMagic(s, ctx);
  assert.ok(r.ok, `expected ${JSON.stringify(s)} to expand: ${r.ok ? '' : r.message}`);
  return r.value;
};
const KNOWN = 'the magic variables are `%d` `%n` `%p` `%s` `%i`';

test('%d %n %p %s expand to the file directory, name, path and file name', () => {
  assert.equal(expand('%d'), '/etc/emperor/vassals');
  assert.equal(expand('%n'), 'web');
  assert.equal(expand('%p'), '/etc/emperor/vassals/web.ini');
  assert.equal(expand('%s'), 'web.ini');
  assert.equal(expand('%d/logs/%n.log'), '/etc/emperor/vassals/logs/web.log');
  assert.equal(expand('no magic here'), 'no magic here');
  assert.equal(expand(''), '');
});

test('%d has no trailing slash, except for the root directory itself', () => {
  assert.equal(expand('%d').endsWith('/'), false);
  assert.deepEqual(expandMagic('%d', { ...ctx, file: '/web.ini' }), { ok: true, value: '/' });
});

test('%i becomes the instance mark, which expandInstance fills per instance', () => {
  const value = expand('worker-%i.sock');
  assert.equal(value, `worker-${INSTANCE_MARK}.sock`);
  assert.equal(expandInstance(value, 3), 'worker-3.sock');
});

test('%% is a literal percent sign, and %%i is the literal text %i, not an instance', () => {
  assert.equal(expand('100%%'), '100%');
  assert.equal(expand('%%i'), '%i');
  assert.equal(expand('%%%i'), `%${INSTANCE_MARK}`);
  assert.equal(expand('%%%%'), '%%');
  assert.equal(expand('%%d'), '%d');
  assert.equal(expandInstance(expand('%%i'), 7), '%i');
});

test('$(VAR) takes the value from the environment, once, without rescanning it', () => {
  assert.equal(expand('$(HOME)/app'), '/root/app');
  assert.equal(expand('x$(EMPTY)y'), 'xy');
  assert.equal(expand('$(PCT)'), '%i');
  assert.equal(expand('$(HOME)$(HOME)'), '/root/root');
});

test('$ not followed by (NAME) is left as written', () => {
  assert.equal(expand('$HOME'), '$HOME');
  assert.equal(expand('$(date +%%s)'), '$(date +%s)');
  assert.equal(expand('$(1X)'), '$(1X)');
  assert.equal(expand('$(HOME'), '$(HOME');
  assert.equal(expand('$$(HOME)'), '$/root');
  assert.equal(expand('a $ b'), 'a $ b');
});

test('an unset $(VAR) is an error naming the variable', () => {
  assert.deepEqual(expandMagic('$(NOPE)/x', ctx), {
    ok: false,
    message:
      "`$(NOPE)`: the environment variable NOPE is not set in the emperor's environment; set it where the emperor is started (e.g. its systemd unit) or write the value itself",
  });
});

test('an unknown %x or a lone % is an error suggesting %%', () => {
  assert.deepEqual(expandMagic('50%x', ctx), {
    ok: false,
    message: `unknown magic variable \`%x\`; write \`%%\` for a literal percent sign (${KNOWN})`,
  });
  assert.deepEqual(expandMagic('%(program_name)s', ctx), {
    ok: false,
    message: `unknown magic variable \`%(\`; write \`%%\` for a literal percent sign (${KNOWN})`,
  });
  assert.deepEqual(expandMagic('100%', ctx), {
    ok: false,
    message: `a lone \`%\` ends the value; write \`%%\` for a percent sign (${KNOWN})`,
  });
});

test('the reserved instance character may not appear in a value', () => {
  assert.deepEqual(expandMagic(`a${INSTANCE_MARK}b`, ctx), {
    ok: false,
    message: 'the value holds the character U+E000, which emperor reserves for `%i`; remove it',
  });
});

test('expansion is linear on long adversarial values', () => {
  assert.equal(expand('$($('.repeat(100_000)), '$($('.repeat(100_000));
  assert.equal(expand('%%'.repeat(100_000)).length, 100_000);
});

test('$(VAR) reads only the variables themselves, not inherited object properties', () => {
  const r = expandMagic('$(constructor) $(toString)', ctx);
  assert.equal(r.ok, false);
});
