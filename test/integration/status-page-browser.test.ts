// The status page in a real browser (Debian's chromium, headless): every vassal shown, a crash on the timeline
// within two seconds, a reload, a broken file and its fix, and the token-gated restart button.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { EmperorUnderTest, freePort, vassalFile, waitFor } from './harness.ts';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshots go: the test's output, never the repository. */
const OUTPUT = join(tmpdir(), 'emperor-test-output');
const NAMES = ['api', 'cache', 'worker'];

async function withPage(extra: string[], fn: (e: EmperorUnderTest, browser: Browser, url: string) => Promise<void>): Promise<void> {
  const port = await freePort();
  const e = new EmperorUnderTest(['--metrics', `127.0.0.1:${port}`, ...extra]);
  for (const n of NAMES) writeFileSync(join(e.vassals, `${n}.ini`), vassalFile({ command: 'sleep 1000' }));
  let browser: Browser | null = null;
  try {
    await e.start();
    for (const n of NAMES) await e.waitState(n, 'RUNNING');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
    await fn(e, browser, `http://127.0.0.1:${port}/`);
  } catch (err) {
    process.stderr.write(`--- emperor output ---\n${e.output}\n---\n`);
    throw err;
  } finally {
    await browser?.close();
    assert.deepEqual(await e.cleanup(), [], 'the emperor left processes behind');
  }
}

test('the page shows every vassal, a crash on the timeline within 2 s, a reload, a broken file and its fix', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)` }, async () => {
  await withPage([], async (e, browser, url) => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(url);
    for (const n of NAMES) assert.equal(await page.locator(`tr[data-name="${n}"] .state`).textContent(), 'RUNNING');
    await page.waitForSelector('#live:text("live")', { timeout: 10000 });
    assert.equal(await page.locator('button[data-act]').count(), 0, 'read-only without --web-token');

    const pid = (await e.vassal('worker'))?.pids[0];
    assert.ok(pid !== undefined);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await page.waitForSelector('#timeline rect.crash[data-vassal="worker"]', { timeout: 2000 });
    const seenAfter = Date.now() - killedAt;
    assert.ok(seenAfter < 2000, `crash shown after ${seenAfter} ms`);
    assert.match((await page.locator('#timeline rect.crash[data-vassal="worker"] title').first().textContent()) ?? '', /worker crash at .*signal SIGKILL/);

    e.write('api.ini', vassalFile({ command: 'sleep 1000', env: 'RELEASE=2' }));
    await page.waitForSelector('#recent li:has-text("api file changed")', { timeout: 5000 });
    await page.waitForSelector('#timeline rect.restart[data-vassal="api"]', { timeout: 5000 });

    e.write('cache.ini', '[vassal]\ncommand = sleep 1000\nrestart = sometimes\n');
    await page.waitForSelector('tr[data-name="cache"] .state:text("INVALID")', { timeout: 5000 });
    assert.match((await page.locator('tr[data-name="cache"] + tr.error').textContent()) ?? '', /restart/);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'status-page-invalid.png'), fullPage: true });
    e.write('cache.ini', vassalFile({ command: 'sleep 1000', env: 'FIXED=1' }));
    await page.waitForSelector('tr[data-name="cache"] .state:text("RUNNING")', { timeout: 5000 });
    await page.waitForSelector('tr[data-name="worker"] .state:text("RUNNING")', { timeout: 10000 });
    await waitFor('the error row to go', async () => (await page.locator('tr.error').count()) === 0, 5000);
    await page.screenshot({ path: join(OUTPUT, 'status-page.png'), fullPage: true });
  });
});

test('with --web-token the buttons ask for the token once and restart the vassal', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, async () => {
  const dir = join(tmpdir(), `emperor-token-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 's3cret-token\n');
  chmodSync(tokenFile, 0o600);
  await withPage(['--web-token', tokenFile], async (e, browser, url) => {
    const page = await browser.newPage();
    let asked = 0;
    page.on('dialog', (d) => {
      asked++;
      void d.accept('s3cret-token');
    });
    await page.goto(url);
    await page.waitForSelector('#live:text("live")', { timeout: 10000 });
    const before = (await e.vassal('api'))?.pids[0];
    await page.click('tr[data-name="api"] button[data-act="restart"]');
    await page.waitForSelector('#message:text("api: restarting")', { timeout: 5000 });
    await e.waitVassal('api', 'to run a new pid', (v) => v.state === 'RUNNING' && v.pids[0] !== before);
    await page.click('tr[data-name="api"] button[data-act="stop"]');
    await e.waitState('api', 'STOPPED');
    assert.equal(asked, 1, 'the token is asked for once per tab');
  });
});
