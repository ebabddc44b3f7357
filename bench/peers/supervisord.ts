// supervisord: one Python process; programs in an include directory, `supervisorctl update` picks one up.
import { oneProcess } from './one-process.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.ts';
import { isAlive } from '../lib/proc.ts';
import { run, waitUntil } from '../lib/util.ts';
import { onPath } from './which.ts';
import type { LogProgram, Peer, Program, Supervisor } from './types.ts';
import { numberedLogFiles } from './numbered-logs.ts';

function programConf(name: string, command: string, log: string): string {
  return `[program:${name}]\ncommand=${command}\nautostart=true\nautorestart=true\nstartsecs=0\nstartretries=1000000\nredirect_stderr=true\n${log}\n`;
}

const NO_LOG = 'stdout_logfile=NONE';

function create(dir: string): Supervisor {
  const conf = join(dir, 'supervisord.conf');
  const inc = join(dir, 'programs');
  const staging = join(dir, 'staging');
  for (const d of [inc, staging, join(dir, 'childlogs')]) mkdirSync(d, { recursive: true });
  const sock = join(dir, 'supervisor.sock');
  writeFileSync(
    conf,
    `[unix_http_server]\nfile=${sock}\n\n[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nchildlogdir=${dir}/childlogs\nnodaemon=true\nminfds=16384\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n[supervisorctl]\nserverurl=unix://${sock}\n\n[include]\nfiles=${inc}/*.conf\n`,
  );
  let pid = 0;
  const launch = async (): Promise<void> => {
    pid = startDaemon('supervisord', ['-n', '-c', conf], join(dir, 'supervisord.out'));
    await waitUntil(() => existsSync(sock) || !isAlive(pid), 60_000);
  };
  return {
    async start(programs) {
      for (const p of programs) writeFileSync(join(inc, `${p.name}.conf`), programConf(p.name, p.argv.join(' '), NO_LOG));
      await launch();
    },
    async startLogging(p: LogProgram) {
      const log = `stdout_logfile=${join(p.logDir, 'out.log')}\nstdout_logfile_maxbytes=${p.maxBytes}\nstdout_logfile_backups=${p.backups}`;
      writeFileSync(join(dir, 'writer.sh'), `${p.shell}\n`);
      writeFileSync(join(inc, `${p.name}.conf`), programConf(p.name, `/bin/sh ${join(dir, 'writer.sh')}`, log));
      await launch();
    },
    logFiles: numberedLogFiles,
    async stage(p) {
      writeFileSync(join(staging, `${p.name}.conf`), programConf(p.name, p.argv.join(' '), NO_LOG));
    },
    async add(p) {
      renameSync(join(staging, `${p.name}.conf`), join(inc, `${p.name}.conf`));
      const r = await run('supervisorctl', ['-c', conf, 'update']);
      if (r.code !== 0) throw new Error(`supervisorctl update exited ${r.code}: ${r.stdout}${r.stderr}`);
    },
    statusSocket: () =>
      new Promise<void>((resolve, reject) => {
        const body = '<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>';
        const req = request({ socketPath: sock, path: '/RPC2', method: 'POST', headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`XML-RPC status ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(body);
      }),
    async statusCli() {
      const r = await run('supervisorctl', ['-c', conf, 'status']);
      // exit 3 = some program not RUNNING; still an answer
      if (r.code !== 0 && r.code !== 3) throw new Error(`supervisorctl status exited ${r.code}`);
    },
    ...oneProcess(() => pid),
  };
}

/** supervisord from the system (Debian's supervisor package). */
export const supervisordPeer: Peer = {
  name: 'supervisord',
  missing: () => (onPath('supervisord') && onPath('supervisorctl') ? null : 'supervisord not on PATH (apt-get install supervisor)'),
  version() {
    try {
      return execFileSync('supervisord', ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  },
  create,
  statusLabels: { socket: 'XML-RPC getAllProcessInfo', cli: 'supervisorctl status' },
};

