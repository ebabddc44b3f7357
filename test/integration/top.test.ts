// `emperorctl top` as a person uses it, in tmux: the screen after a crash, a broken file, its fix and a reload, a sort, a restart key with its
// confirmation, `q` and Ctrl-C restoring the terminal, NO_COLOR, a resize.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPERORCTL_BIN, vassalFile, waitFor, withEmperor } from './harness.ts';

const OUTPUT = join(tmpdir(), 'emperor-test-output');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SLEEP = vassalFile({ command: 'sleep 100000', 'start-secs': '100ms' });

/** A private tmux server (its own socket), so the test touches no other session. */
class Tmux {
  readonly socket = `emperor-top-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  run(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  screen(escapes = false): string {
    return this.run('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'top');
  }
  async waitScreen(what: string, pred: (s: string) => boolean, timeoutMs = 8000): Promise<string> {
    let last = '';
    try {
      return await waitFor(what, () => (pred((last = this.screen())) ? last : null), timeoutMs, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${last}`);
    }
  }
  keys(...keys: string[]): void {
    this.run('send-keys', '-t', 'top', ...keys);
  }
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** Starts top in an 80x24 tmux pane; after it exits, the shell prints its exit code and the terminal's modes. */
function startTop(tmux: Tmux, stateDir: string, env: string): void {
  const modes = "$(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' ')";
  const cmd = `env -u NO_COLOR ${env} EMPEROR_STATE_DIR=${stateDir} ${process.execPath} ${EMPERORCTL_BIN} top; code=$?; echo "top exited $code, modes: ${modes}"; exec sleep 100000`;
  tmux.run('new-session', '-d', '-s', 'top', '-x', '80', '-y', '24', cmd);
}

test('top: a crash, a sort, a restart with confirmation, q restores the terminal', { skip: hasTmux ? false : 'tmux is not installed (apt-get install tmux)' }, async () => {
  await withEmperor([], async (e) => {
    e.write('web.ini', SLEEP);
    e.write('db.ini', SLEEP);
    e.write('broken.ini', vassalFile({ command: 'sh -c "exit 3"', 'start-secs': '1s', backoff: '60s' }));
    const web = await e.waitState('web', 'RUNNING');
    await e.waitState('db', 'RUNNING');
    await e.waitState('broken', 'BACKOFF');
    const tmux = new Tmux();
    try {
      startTop(tmux, e.stateDir, 'TERM=xterm-256color');
      await tmux.waitScreen('three rows', (s) => /^> broken\s+BACKOFF/m.test(s) && /^ {2}db\s+RUNNING/m.test(s) && /^ {2}web\s+RUNNING\s+\d+/m.test(s));
      assert.match(tmux.screen(true), /\x1b\[32mRUNNING/, 'RUNNING in green on a colour terminal');

      process.kill(web.pids[0] ?? 0, 'SIGKILL');
      const crashed = await tmux.waitScreen('the crash', (s) => /^ {2}web\s+RUNNING\s+\d+\s+\S+\s+1\s/m.test(s) && /web\[0\]: .*signal=SIGKILL/.test(s));
      assert.match(crashed, /^\S+ web\[0\]: WARN RUNNING -> BACKOFF pid=\d+ signal=SIGKILL/m);

      tmux.keys('s');
      await tmux.waitScreen('sorted by state', (s) => /^sort: state/m.test(s));
      tmux.keys('P');
      await tmux.waitScreen('sorted by CPU', (s) => /^sort: cpu/m.test(s));
      tmux.keys('N');
      const byName = await tmux.waitScreen('sorted by name', (s) => /^sort: name/m.test(s));
      assert.ok(byName.indexOf('  broken') < byName.indexOf('  db') && byName.indexOf('  db') < byName.indexOf('  web'));

      tmux.keys('j', 'j');
      await tmux.waitScreen('web selected', (s) => /^> web/m.test(s));
      const before = (await e.vassal('web'))?.pids[0];
      tmux.keys('r');
      await tmux.waitScreen('the confirmation', (s) => /restart web\? y\/N\s*$/.test(s.trimEnd()));
      tmux.keys('n');
      await tmux.waitScreen('cancelled', (s) => /^restart web: cancelled/m.test(s));
      assert.equal((await e.vassal('web'))?.pids[0], before, 'no restart without y');
      tmux.keys('r');
      await tmux.waitScreen('the confirmation again', (s) => /restart web\? y\/N/.test(s));
      tmux.keys('y');
      await tmux.waitScreen('the answer', (s) => /^web: restarting/m.test(s));
      await e.waitVassal('web', 'to run a new pid', (v) => v.state === 'RUNNING' && v.pids[0] !== before);

      e.write('db.ini', '[vassal]\ncommand = sleep 100000\nrestart = sometimes\n');
      await tmux.waitScreen('the broken file', (s) => /^ {2}db\s+INVALID/m.test(s) && /^ {4}\S+db\.ini:3: `restart`/m.test(s));
      e.write('db.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms', env: 'FIXED=1' }));
      await tmux.waitScreen('the fix', (s) => /^ {2}db\s+RUNNING/m.test(s) && !/db\.ini:3/.test(s.split('-- events')[0] ?? '') && /db: file changed/.test(s));
      e.write('web.ini', vassalFile({ command: 'sleep 100000', 'start-secs': '100ms', env: 'RELEASE=2' }));
      await tmux.waitScreen('the reload', (s) => /web: file changed/.test(s));

      tmux.keys('/', 'd', 'b', 'Enter');
      await tmux.waitScreen('filtered', (s) => /^> db/m.test(s) && !/ web /.test(s.split('-- events')[0] ?? ''));
      mkdirSync(OUTPUT, { recursive: true });
      writeFileSync(join(OUTPUT, 'top.txt'), tmux.screen());
      tmux.keys('Escape');
      tmux.run('resize-window', '-t', 'top', '-x', '100', '-y', '30');
      await tmux.waitScreen('redrawn at 100x30', (s) => s.split('\n')[29]?.startsWith('q quit') === true && /^ {2}web/m.test(s));
      writeFileSync(join(OUTPUT, 'top-100x30.txt'), tmux.screen());

      tmux.keys('q');
      const after = await tmux.waitScreen('top to exit', (s) => /top exited 0, modes: \S/.test(s));
      assert.match(after, /modes: icanon echo/, 'the terminal is back in cooked mode with echo');
      assert.doesNotMatch(after, /broken\s+BACKOFF/, 'the alternate screen is gone');
    } finally {
      tmux.kill();
    }
  });
});

test('top: NO_COLOR draws no colour; Ctrl-C restores the terminal', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
  await withEmperor([], async (e) => {
    e.write('web.ini', SLEEP);
    await e.waitState('web', 'RUNNING');
    const tmux = new Tmux();
    try {
      startTop(tmux, e.stateDir, 'NO_COLOR=1 TERM=xterm-256color');
      await tmux.waitScreen('the row', (s) => /^> web\s+RUNNING/m.test(s));
      assert.doesNotMatch(tmux.screen(true), /\x1b\[[0-9;]*3[0-7]m/, 'no colour with NO_COLOR');
      tmux.keys('C-c');
      const after = await tmux.waitScreen('top to exit', (s) => /top exited 0, modes: \S/.test(s));
      assert.match(after, /modes: icanon echo/);
    } finally {
      tmux.kill();
    }
  });
});
