// The emperor under test: whatever is built in dist/ of the tree the bench runs from (node bin/emperor.js), or of
// the tree EMPEROR_BENCH_ROOT names (bench/log-ab.ts runs several builds through this one suite).
import { oneProcess } from './one-process.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readUnix, startDaemon } from '../lib/daemon.ts';
import { isAlive } from '../lib/proc.ts';
import { run, waitUntil } from '../lib/util.ts';
import type { LogProgram, Peer, Program, Supervisor } from './types.ts';
import { numberedLogFiles } from './numbered-logs.ts';

const ROOT = resolve(process.env['EMPEROR_BENCH_ROOT'] ?? join(import.meta.dirname, '../..'));
const EMPEROR = join(ROOT, 'bin/emperor.js');
const CTL = join(ROOT, 'bin/emperorctl.cjs'); // package.json's "bin": what `emperorctl` runs once installed

function quote(a: string): string {
  return /^[\w./=:,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function vassalFile(p: Program): string {
  return `[vassal]\ncommand = ${p.argv.map(quote).join(' ')}\n`;
}

function create(dir: string): Supervisor {
  const vassals = join(dir, 'vassals');
  const staging = join(dir, 'staging');
  const state = join(dir, 'state');
  for (const d of [vassals, staging, state]) mkdirSync(d, { recursive: true });
  const env = { ...process.env, EMPEROR_STATE_DIR: state, NO_COLOR: '1' };
  let pid = 0;
  const launch = async (): Promise<void> => {
    pid = startDaemon(process.execPath, [EMPEROR, '--vassals', vassals, '--state-dir', state, '--metrics', 'off'], join(dir, 'emperor.out'), env);
    await waitUntil(() => existsSync(join(state, 'stats.sock')) || !isAlive(pid), 60_000);
  };
  return {
    async start(programs) {
      for (const p of programs) writeFileSync(join(vassals, `${p.name}.ini`), vassalFile(p));
      await launch();
    },
    async startLogging(p: LogProgram) {
      const file = join(p.logDir, 'out.log');
      writeFileSync(join(vassals, `${p.name}.ini`), `[vassal]\ncommand = sh -c ${quote(p.shell)}\nlog = ${file}\nlog-max-size = ${p.maxBytes}\nlog-backups = ${p.backups}\n`);
      await launch();
    },
    logFiles: numberedLogFiles,
    async stage(p) {
      writeFileSync(join(staging, `${p.name}.ini`), vassalFile(p));
    },
    async add(p) {
      renameSync(join(staging, `${p.name}.ini`), join(vassals, `${p.name}.ini`));
    },
    async statusSocket() {
      const text = await readUnix(join(state, 'stats.sock'));
      JSON.parse(text);
    },
    async statusCli() {
      const r = await run(process.execPath, [CTL, 'status'], { env });
      if (r.code !== 0) throw new Error(`emperorctl status exited ${r.code}: ${r.stderr.slice(0, 200)}`);
    },
    ...oneProcess(() => pid),
  };
}

/** The emperor from this tree (dist/ must be built). */
export const emperorPeer: Peer = {
  name: 'emperor',
  missing: () => (existsSync(join(ROOT, 'dist/cli/emperor.js')) ? null : 'dist/ is not built (npm run build)'),
  version() {
    let v = 'unknown';
    try {
      v = execFileSync(process.execPath, [EMPEROR, '--version'], { encoding: 'utf8' }).trim();
      v += ` (${execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()})`;
    } catch {
      // keep what we have
    }
    return v;
  },
  create,
  statusLabels: { socket: 'stats socket', cli: 'emperorctl status' },
};
