// PM2, installed only into bench/.peers (never a dependency of emperor), with its own PM2_HOME per run.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { killTrees } from '../lib/daemon.ts';
import { run } from '../lib/util.ts';
import type { LogProgram, Peer, Program, Supervisor } from './types.ts';

/** Where the bench installs its npm peers. */
export const PEERS_DIR = resolve(import.meta.dirname, '../.peers');
const PM2 = join(PEERS_DIR, 'node_modules/pm2/bin/pm2');

function app(p: Program): Record<string, unknown> {
  return { name: p.name, script: p.argv[0], args: p.argv.slice(1), interpreter: 'none', autorestart: true, min_uptime: 0, out_file: '/dev/null', error_file: '/dev/null' };
}

function create(dir: string): Supervisor {
  const home = join(dir, 'pm2home');
  const staging = join(dir, 'staging');
  for (const d of [home, staging]) mkdirSync(d, { recursive: true });
  const env = { ...process.env, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true' };
  const pm2 = async (...args: string[]): Promise<string> => {
    const r = await run(process.execPath, [PM2, ...args], { env });
    if (r.code !== 0) throw new Error(`pm2 ${args[0]} exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    return r.stdout;
  };
  const daemonPid = (): number => {
    try {
      return Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim());
    } catch {
      return 0;
    }
  };
  let pid = 0;
  const launch = async (apps: Record<string, unknown>[]): Promise<void> => {
    const file = join(dir, 'ecosystem.json');
    writeFileSync(file, JSON.stringify({ apps }));
    await pm2('start', file);
    pid = daemonPid();
  };
  return {
    async start(programs) {
      await launch(programs.map(app));
    },
    async startLogging(p: LogProgram) {
      writeFileSync(join(dir, 'writer.sh'), `${p.shell}\n`);
      await launch([{ name: p.name, script: '/bin/sh', args: [join(dir, 'writer.sh')], interpreter: 'none', autorestart: true, out_file: join(p.logDir, 'out.log'), error_file: join(p.logDir, 'err.log') }]);
    },
    logFiles: (p: LogProgram) => [join(p.logDir, 'out.log')].filter((f) => existsSync(f)),
    logNote: 'no rotation: PM2 rotates only with the pm2-logrotate module (not installed)',
    async stage(p) {
      writeFileSync(join(staging, `${p.name}.json`), JSON.stringify({ apps: [app(p)] }));
    },
    async add(p) {
      const file = join(dir, `${p.name}.json`);
      renameSync(join(staging, `${p.name}.json`), file);
      await pm2('start', file);
    },
    async statusCli() {
      JSON.parse(await pm2('jlist'));
    },
    roots: () => (pid > 0 ? [pid] : []),
    async stop() {
      await pm2('kill');
    },
    async cleanup() {
      await killTrees([pid || daemonPid()]);
    },
  };
}

/** PM2 5 from bench/.peers (installed by the driver when missing). */
export const pm2Peer: Peer = {
  name: 'pm2',
  missing: () => (existsSync(PM2) ? null : `pm2 not installed in ${PEERS_DIR} (npm install --prefix bench/.peers pm2@5)`),
  version() {
    try {
      return (JSON.parse(readFileSync(join(PEERS_DIR, 'node_modules/pm2/package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  },
  create,
  statusLabels: { socket: null, cli: 'pm2 jlist' },
};

