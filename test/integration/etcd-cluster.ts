// A 3-member etcd cluster on loopback for the tests: free ports, temp data dirs, members killed and
// started again by pid, everything removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './harness.ts';

interface Member {
  name: string;
  client: number;
  peer: number;
  proc: ChildProcess | null;
  log: string;
}

/** Runs `etcdctl` against the cluster; resolves with its output, rejects on failure. */
export function etcdctl(endpoints: string, args: string[], timeoutMs = 10000, extra: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', ['--endpoints', endpoints, '--command-timeout=5s', ...extra, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`etcdctl ${args.join(' ')}: exit ${code}: ${out}`));
    });
  });
}

/** The cluster under test. */
export class EtcdCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'emperor-etcd-'));
  private members: Member[] = [];

  /** `scheme` and `serverArgs` for TLS; `ctlArgs` are given to every etcdctl (certificates, --user). */
  constructor(
    private readonly scheme: 'http' | 'https' = 'http',
    private readonly serverArgs: string[] = [],
    readonly ctlArgs: string[] = [],
  ) {}

  /** Starts `n` members on free loopback ports and waits until the cluster answers. */
  static async start(n = 3, c = new EtcdCluster()): Promise<EtcdCluster> {
    for (let i = 0; i < n; i++) c.members.push({ name: `m${i}`, client: await freePort(), peer: await freePort(), proc: null, log: '' });
    for (let i = 0; i < n; i++) c.startMember(i);
    await c.waitHealthy();
    return c;
  }

  /** `HOST:PORT,...` of every member. */
  get endpoints(): string {
    return this.members.map((m) => `127.0.0.1:${m.client}`).join(',');
  }

  /** Puts a key. */
  async put(key: string, value: string): Promise<string> {
    // Right after a member is killed, a new leader may still be being elected: try again for a while.
    let last: unknown = null;
    for (let i = 0; i < 5; i++) {
      try {
        return await this.ctl(['put', key, value]);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  /** Deletes a key. */
  del(key: string): Promise<string> {
    return this.ctl(['del', key]);
  }

  /** Any etcdctl command on the cluster. */
  ctl(args: string[]): Promise<string> {
    return etcdctl(this.endpoints, args, 10000, this.ctlArgs);
  }

  /** Starts member `i` (again: on its data dir). */
  startMember(i: number): void {
    const m = this.members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    const cluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peer}`).join(',');
    const proc = spawn('etcd', [
      '--name', m.name,
      '--data-dir', join(this.root, m.name),
      '--listen-client-urls', `${this.scheme}://127.0.0.1:${m.client}`,
      '--advertise-client-urls', `${this.scheme}://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', cluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `emperor-test-${this.root}`,
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
      ...this.serverArgs,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d: Buffer) => (m.log = (m.log + d.toString()).slice(-20000)));
    proc.stderr?.on('data', (d: Buffer) => (m.log = (m.log + d.toString()).slice(-20000)));
    m.proc = proc;
  }

  /** Kills member `i` (SIGKILL, by pid) and waits for it to be gone. */
  async kill(i: number): Promise<void> {
    const m = this.members[i];
    const proc = m?.proc;
    if (m === undefined || proc == null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
    m.proc = null;
  }

  /** Waits until every running member reports healthy. */
  async waitHealthy(timeoutMs = 30000): Promise<void> {
    await waitFor(`etcd cluster healthy (${this.members.map((m) => m.log.slice(-500)).join('\n')})`, async () => {
      try {
        await etcdctl(this.endpoints, ['endpoint', 'health'], 5000, this.ctlArgs);
        return true;
      } catch {
        return false;
      }
    }, timeoutMs, 200);
  }

  /**
   * etcd's own counters, summed over the running members: events sent to watchers, and requests
   * received by gRPC method (`recv METHOD`).
   */
  async counters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of this.members) {
      if (m.proc === null) continue;
      const text = await (await fetch(`${this.scheme}://127.0.0.1:${m.client}/metrics`)).text();
      for (const line of text.split('\n')) {
        const r = /^(etcd_debugging_mvcc_events_total|grpc_server_msg_received_total\{[^}]*grpc_method="(\w+)"[^}]*\}) (\S+)$/.exec(line);
        if (r === null) continue;
        const key = r[2] !== undefined ? `recv ${r[2]}` : 'events sent to watchers';
        out[key] = (out[key] ?? 0) + Number(r[3]);
      }
    }
    return out;
  }

  /** Kills every member and removes the data dirs. */
  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    rmSync(this.root, { recursive: true, force: true });
  }
}
