// Vassals from etcd: put -> child running (median of ROUNDS), the RSS the etcd client adds, and what
// etcd sends to a fleet: a put under hosts/h0/ reaches one watcher; an idle fleet sends only keep-alives.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { AnnouncePipe } from './lib/announce-pipe.ts';
import { cleanupAll, cleanupOnInterrupt, onCleanup, tempRoot } from './lib/cleanup.ts';
import { EmperorProcess } from './lib/emperor-process.ts';
import { COMPILED, distWarning } from './lib/emperor-tree.ts';
import { statusKb } from './lib/proc-groups.ts';
import { readStats, waitFor } from './lib/stats-read.ts';
import { formatSummary, nowMs, summarize } from './lib/summary.ts';
import { sleep } from './lib/util.ts';
import { freePortNumber } from './etcd-support.ts';
import { diagHeader } from './lib/header.ts';

const ROUNDS = Number(process.argv[2] ?? 20);
/** Emperors of the fleet count (argv[3]) and keys under all/ of other prefixes... kept small: the machine is shared. */
const FLEET = Number(process.argv[3] ?? 5);
const KEYS = Number(process.argv[4] ?? 200);
const IDLE_MS = 10000;

// etcd's own counters, from its /metrics on the client port.
async function etcdMetrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(etcd_debugging_mvcc_events_total|grpc_server_msg_received_total\{[^}]*grpc_method="(\w+)"[^}]*\}) (\S+)$/.exec(line);
    if (m === null) continue;
    const key = m[2] !== undefined ? `recv ${m[2]}` : 'mvcc events sent to watchers';
    out.set(key, (out.get(key) ?? 0) + Number(m[3]));
  }
  return out;
}

function delta(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of b) if (v - (a.get(k) ?? 0) !== 0) out[k] = v - (a.get(k) ?? 0);
  return out;
}

async function main(): Promise<void> {
  cleanupOnInterrupt();
  const warn = distWarning();
  if (warn !== null) console.log(warn);
  console.log(`${diagHeader('etcd-pickup')}; rounds ${ROUNDS}, fleet ${FLEET} emperors, ${KEYS} idle keys`);
  const root = tempRoot('emperor-bench-etcd-');
  const client = await freePortNumber();
  const peer = await freePortNumber();
  const etcd: ChildProcess = spawn('etcd', ['--name', 'b0', '--data-dir', join(root, 'etcd'), '--listen-client-urls', `http://127.0.0.1:${client}`,
    '--advertise-client-urls', `http://127.0.0.1:${client}`, '--listen-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`, '--initial-cluster', `b0=http://127.0.0.1:${peer}`], { stdio: 'ignore' });
  onCleanup(async () => void etcd.kill('SIGKILL'));
  const kv = new Etcd3({ hosts: `http://127.0.0.1:${client}` });
  onCleanup(async () => kv.close());
  await waitFor('etcd up', async () => ((await kv.get('x').exec().then(() => true, () => null))), 20000, 100);
  const pipe = new AnnouncePipe(root);
  const url = `etcd://127.0.0.1:${client}/bench`;
  const start = (i: number, args: string[]): EmperorProcess => {
    const state = join(root, `state-${i}`);
    mkdirSync(state, { recursive: true });
    return new EmperorProcess(COMPILED, [...args, '--state-dir', state, '--metrics', 'off', '--sample-interval', '1h']);
  };
  const stats = (i: number) => readStats(join(root, `state-${i}`, 'stats.sock'));
  // Emperor 0 on etcd; emperor 1 on an empty directory, for the RSS the client adds.
  const dir = join(root, 'empty');
  mkdirSync(dir);
  const e0 = start(0, ['--vassals', url, '--host-name', 'h0', '--etcd-allow-root']);
  const eDir = start(1, ['--vassals', dir]);
  await waitFor('emperors up', async () => ((await stats(0).catch(() => null)) !== null && (await stats(1).catch(() => null)) !== null ? true : null), 20000);
  await waitFor('etcd source healthy', async () => ((await stats(0)).sources?.[0]?.healthy === true ? true : null), 20000);
  await sleep(3000);
  const idleEtcd = statusKb(e0.pid, 'VmRSS');
  const idleDir = statusKb(eDir.pid, 'VmRSS');
  console.log(`RSS with no vassal: emperor on etcd ${idleEtcd} kB, on an empty directory ${idleDir} kB: the etcd client adds ${(idleEtcd ?? 0) - (idleDir ?? 0)} kB`);
  const times: number[] = [];
  for (let i = -1; i < ROUNDS; i++) {
    const name = `p${i + 1}`;
    await sleep(200);
    const from = pipe.all.length;
    const t0 = nowMs();
    await kv.put(`bench/hosts/h0/${name}.ini`).value(`[vassal]\ncommand = ${pipe.command(name)}\n`);
    const a = await pipe.next(from, (x) => x.name === name, 20000);
    if (i >= 0) times.push(a.at - t0);
  }
  console.log(formatSummary('put -> child running', summarize(times)));
  await sleep(3000);
  const rssEtcd = statusKb(e0.pid, 'VmRSS');
  const rssDir = statusKb(eDir.pid, 'VmRSS');
  console.log(`RSS: emperor on etcd (${ROUNDS + 1} vassals) ${rssEtcd} kB, emperor on an empty directory ${rssDir} kB`);

  // The fleet: FLEET more emperors h1..hN, KEYS keys spread under hosts/hK/ (never started: autostart off).
  const fleet: EmperorProcess[] = [];
  for (let i = 1; i <= FLEET; i++) fleet.push(start(i + 1, ['--vassals', url, '--host-name', `h${i}`, '--etcd-allow-root']));
  for (let k = 0; k < KEYS; k++) await kv.put(`bench/hosts/h${(k % FLEET) + 1}/k${k}.ini`).value('[vassal]\ncommand = sleep 1\nautostart = false\n');
  await waitFor('fleet up', async () => {
    for (let i = 1; i <= FLEET; i++) if ((await stats(i + 1).catch(() => null))?.sources?.[0]?.healthy !== true) return null;
    return true;
  }, 60000, 200);
  await sleep(2000);
  const before = await etcdMetrics(client);
  await kv.put('bench/hosts/h1/one.ini').value('[vassal]\ncommand = sleep 1\nautostart = false\n');
  await sleep(1500);
  const afterPut = await etcdMetrics(client);
  console.log(`one put under hosts/h1/ with ${FLEET + 1} emperors watching: ${JSON.stringify(delta(before, afterPut))}`);
  await sleep(IDLE_MS);
  const idle = await etcdMetrics(client);
  console.log(`${IDLE_MS / 1000} s idle, ${FLEET + 1} emperors: ${JSON.stringify(delta(afterPut, idle))}`);
  console.log(JSON.stringify({ put_to_running_ms: summarize(times), rss_kb: { idle_etcd: idleEtcd, idle_dir: idleDir, etcd: rssEtcd, dir: rssDir }, one_put: delta(before, afterPut), idle: delta(afterPut, idle) }));
  for (const e of [e0, eDir, ...fleet]) await e.stop();
  await cleanupAll();
}

await main();
