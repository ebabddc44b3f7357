// Helpers for the metrics and health tests: free loopback ports, plain HTTP GETs, a Prometheus
// text-format parser, and the TCP sockets a process is listening on.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';

/** A loopback port that was free a moment ago: bind 127.0.0.1:0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port'))));
    });
  });
}

/** A TCP server on 127.0.0.1 that accepts and closes connections; port 0 picks a free one. */
export function listenLoopback(port = 0): Promise<{ server: Server; port: number }> {
  return new Promise((resolveListen, reject) => {
    const server = createServer((sock) => sock.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      resolveListen({ server, port: typeof addr === 'object' && addr !== null ? addr.port : 0 });
    });
  });
}

/** Closes a server and waits until it no longer listens. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    if (!server.listening) {
      r();
      return;
    }
    server.close(() => r());
  });
}

/** What a GET returned. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** GET http://127.0.0.1:PORT/PATH without keep-alive; rejects on a connection error or after 5 s. */
export function httpGet(port: number, path: string): Promise<HttpAnswer> {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on port ${port}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** Resolves the error code of a TCP connect to 127.0.0.1:PORT ('connected' when it succeeded). */
export function connectOutcome(port: number): Promise<string> {
  return new Promise((r) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.setTimeout(3000, () => {
      sock.destroy();
      r('timeout');
    });
    sock.once('connect', () => {
      sock.destroy();
      r('connected');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => r(err.code ?? err.message));
  });
}

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its HELP, TYPE and samples. */
export interface Family {
  name: string;
  help: string | null;
  type: string | null;
  samples: Sample[];
}

/** A parsed exposition. */
export interface Exposition {
  families: Map<string, Family>;
  samples: Sample[];
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text.toLowerCase() === 'nan') return NaN; // Go's ParseFloat, which Prometheus uses, ignores case
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${text}`);
  return n;
}

function unescapeLabel(text: string): string {
  return text.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * Parses the Prometheus text format (0.0.4) strictly enough for these tests: every sample must
 * follow the HELP/TYPE of a family whose name it starts with; throws on a line it cannot read.
 */
export function parseExposition(text: string): Exposition {
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  // The family of the last HELP/TYPE line (an object, so closures and narrowing agree).
  const at: { family: Family | null } = { family: null };
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, help: null, type: null, samples: [] };
      families.set(name, f);
    }
    at.family = f;
    return f;
  };
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta !== null) {
      const f = family(meta[2] ?? '');
      if (meta[1] === 'HELP') f.help = meta[3] ?? '';
      else f.type = meta[3] ?? '';
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (m === null) throw new Error(`line ${i + 1}: cannot parse sample: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
    let pos = 0;
    while (pos < body.length) {
      re.lastIndex = pos;
      const l = re.exec(body);
      if (l === null) throw new Error(`line ${i + 1}: cannot parse labels: ${line}`);
      labels[l[1] ?? ''] = unescapeLabel(l[2] ?? '');
      pos = re.lastIndex;
    }
    const sample: Sample = { name: m[1] ?? '', labels, value: parseValue(m[3] ?? '') };
    const owner = at.family;
    if (owner === null || !sample.name.startsWith(owner.name)) {
      throw new Error(`line ${i + 1}: sample ${sample.name} outside its family's HELP/TYPE`);
    }
    owner.samples.push(sample);
    samples.push(sample);
  }
  return { families, samples };
}

/** Samples named `name` whose labels include `labels`. */
export function find(exp: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exp.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample named `name` with `labels`; undefined when there is none; throws when several. */
export function valueOf(exp: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(exp, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Scrapes /metrics once and parses it. */
export async function scrape(port: number): Promise<Exposition & { text: string }> {
  const r = await httpGet(port, '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
  return { ...parseExposition(r.body), text: r.body };
}

/** The TCP sockets (IPv4 and IPv6) in LISTEN state whose descriptors `pid` holds. */
export function listeningSockets(pid: number): Array<{ address: string; port: number; inode: string }> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m !== null) inodes.add(m[1] ?? '');
  }
  const out: Array<{ address: string; port: number; inode: string }> = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const local = f[1];
      const inode = f[9];
      if (local === undefined || inode === undefined || f[3] !== '0A' || !inodes.has(inode)) continue;
      const [addr = '', port = '0'] = local.split(':');
      out.push({ address: `${table}:${addr}`, port: parseInt(port, 16), inode });
    }
  }
  return out;
}

/** The absolute path of an executable on PATH, or null. */
export function onPath(program: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Runs a program with `input` on stdin; resolves its exit status and output. Killed after `timeoutMs`. */
export function runWithInput(file: string, args: string[], input: string, timeoutMs = 30000): Promise<{ status: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, output });
    });
    child.stdin.on('error', () => {}); // it may exit before reading everything
    child.stdin.end(input);
  });
}
