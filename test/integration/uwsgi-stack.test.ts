// The uwsgi-stack example end to end: router, fastrouter, a subscribed WSGI app, and Redis as a daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { EmperorUnderTest, ROOT, alive, waitFor } from './harness.ts';

const STACK = join(ROOT, 'vassals.example/uwsgi-stack');
const REDIS_PIDFILE = '/tmp/emperor-uwsgi-stack/redis.pid';

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const redisPid = (): number | null => (existsSync(REDIS_PIDFILE) ? Number(readFileSync(REDIS_PIDFILE, 'utf8').trim()) || null : null);

test('the uwsgi-stack example serves through router and fastrouter, and Redis outlives the emperor', async () => {
  for (const bin of ['uwsgi', 'redis-server']) {
    assert.equal(spawnSync('sh', ['-c', `command -v ${bin}`]).status, 0, `${bin} is missing: .ci/run installs uwsgi-core, uwsgi-plugin-python3 and redis-server`);
  }
  const first = await new EmperorUnderTest().start();
  let daemon: number | null = null;
  let second: EmperorUnderTest | null = null;
  try {
    cpSync(STACK, first.vassals, { recursive: true });
    const body = await waitFor('a page through the router', () => get('http://127.0.0.1:8780/').catch(() => null), 30000, 200);
    assert.match(body, /^hello from uWSGI pid \d+: visit (\d+)\n$/);
    daemon = (await first.waitState('redis', 'RUNNING')).pids[0] ?? null;
    assert.equal(daemon, redisPid());
    process.kill(first.pid, 'SIGTERM');
    await first.waitExit();
    assert.ok(daemon !== null && alive(daemon), 'Redis outlives the emperor');
    // The next emperor on the same state dir adopts it.
    second = await new EmperorUnderTest([], first).start();
    const adopted = await second.waitState('redis', 'RUNNING');
    assert.deepEqual(adopted.pids, [daemon]);
    assert.match(second.output, /adopted the running daemon pid \d+ \(redis-server\)/);
    const again = await waitFor('a page after the restart', () => get('http://127.0.0.1:8780/').catch(() => null), 30000, 200);
    const count = (t: string): number => Number(/visit (\d+)/.exec(t)?.[1]);
    assert.ok(count(again) > count(body), `Redis kept its data: ${body.trim()} then ${again.trim()}`);
  } finally {
    if (second !== null) assert.deepEqual((await second.cleanup()).filter((l) => !l.includes(`group ${daemon}`)), []);
    for (const pid of [daemon, redisPid()]) if (pid !== null && alive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor('Redis to stop', () => daemon === null || !alive(daemon), 10000);
    assert.deepEqual((await first.cleanup()).filter((l) => !l.includes(`group ${daemon}`)), []);
  }
});
