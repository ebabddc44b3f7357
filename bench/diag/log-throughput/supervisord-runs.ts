// The test file through supervisord, measured the same way as the emperor's runs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from '../../lib/cleanup.ts';
import { alive, cmdline, groupMembers, short, signal } from '../../lib/proc-groups.ts';
import { waitFor } from '../../lib/stats-read.ts';
import { nowMs } from '../../lib/summary.ts';
import { sleep } from '../../lib/util.ts';
import { TOTAL_MB, SETTLE_MS } from './constants.ts';
import { cpuOf, cpuSince, countersOf, countersSince } from '../../lib/proc-counters.ts';
import { checkLog } from './log-files.ts';
import { type SupervisedRun, logComplete } from './emperor-runs.ts';

/** Runs a command to completion (async, so the event loop keeps going). */
function run(argv: readonly string[], timeoutMs = 20000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveRun) => {
    const [cmd = '', ...args] = argv;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.pid !== undefined && signal(child.pid, 'SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolveRun({ code: null, out: err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out });
    });
  });
}

/** Whether `supervisord` is on PATH; no install here (the suite's driver installs peers: `npm run bench -- --only logs`). */
export function ensureSupervisord(): { ok: boolean; note: string | null } {
  const has = spawnSync('sh', ['-c', 'command -v supervisord && command -v supervisorctl'], { stdio: 'ignore' }).status === 0;
  return has ? { ok: true, note: null } : { ok: false, note: 'supervisord is not installed: supervisord runs skipped (npm run bench installs the peers)' };
}

/** Parses supervisord's `YYYY-MM-DD HH:MM:SS,mmm` (local time) into ms. */
function supervisordTime(line: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3})/.exec(line);
  if (m === null) return NaN;
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(n[0], n[1] - 1, n[2], n[3], n[4], n[5], n[6]).getTime();
}

/** stdout_logfile_maxbytes: 50MB (what supervisord reads as 50 MiB) unless given (bytes). */
export async function supervisordRun(src: string, srcSha1: string, dir: string, maxBytes: number | null = null): Promise<SupervisedRun> {
  const logs = join(dir, 'logs');
  const childlogs = join(dir, 'childlogs');
  mkdirSync(logs, { recursive: true });
  mkdirSync(childlogs);
  const conf = join(dir, 'supervisord.conf');
  const sock = join(dir, 'supervisor.sock');
  const supLog = join(dir, 'supervisord.log');
  writeFileSync(
    conf,
    [
      '[supervisord]',
      'nodaemon=true',
      `logfile=${supLog}`,
      `pidfile=${join(dir, 'supervisord.pid')}`,
      `childlogdir=${childlogs}`,
      'loglevel=info',
      '',
      '[unix_http_server]',
      `file=${sock}`,
      '',
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '',
      '[supervisorctl]',
      `serverurl=unix://${sock}`,
      '',
      '[program:tp]',
      `command=cat ${src}`,
      'autostart=false',
      'autorestart=false',
      'startsecs=0',
      `stdout_logfile=${join(logs, 'OUT')}`,
      `stdout_logfile_maxbytes=${maxBytes ?? '50MB'}`,
      'stdout_logfile_backups=5',
      '',
    ].join('\n'),
  );
  const sup = spawn('supervisord', ['-n', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let supOut = '';
  sup.stdout.on('data', (d: Buffer) => (supOut += d.toString()));
  sup.stderr.on('data', (d: Buffer) => (supOut += d.toString()));
  const supExited = new Promise<void>((r) => sup.once('exit', () => r()));
  const programPids = new Set<number>();
  const problems: string[] = [];
  const supPid = sup.pid;
  if (supPid === undefined) throw new Error('supervisord did not start');
  const stop = onCleanup(async () => {
    if (sup.exitCode === null && sup.signalCode === null) {
      signal(supPid, 'SIGTERM');
      const t = setTimeout(() => signal(supPid, 'SIGKILL'), 15000);
      await supExited;
      clearTimeout(t);
    }
    // The program runs in its own process group (supervisord calls setpgrp): check it and ours.
    const deadline = nowMs() + 1000;
    const left = (): number[] => [...programPids].filter(alive).concat(groupMembers(supPid));
    while (left().length > 0 && nowMs() < deadline) await sleep(25);
    for (const p of left()) {
      problems.push(`left behind by supervisord (killed): ${p} (${short(cmdline(p))})`);
      signal(p, 'SIGKILL');
    }
  });
  const logText = (): string => {
    try {
      return readFileSync(supLog, 'utf8');
    } catch {
      return '';
    }
  };
  const supEvent = (re: RegExp, what: string, timeoutMs: number): Promise<{ at: number; line: string }> =>
    waitFor(
      what,
      () => {
        const line = logText().split('\n').find((l) => re.test(l));
        if (line !== undefined) return { at: supervisordTime(line), line };
        if (sup.exitCode !== null || sup.signalCode !== null) throw new Error(`supervisord exited while waiting for ${what}: ${supOut.trim().slice(-300)}`);
        return null;
      },
      timeoutMs,
      5,
    );
  try {
    await waitFor(
      'supervisord to answer supervisorctl',
      async () => {
        if (sup.exitCode !== null) throw new Error(`supervisord exited ${sup.exitCode}: ${supOut.trim().slice(-300)}`);
        return /STOPPED/.test((await run(['supervisorctl', '-c', conf, 'status', 'tp'])).out) ? true : null;
      },
      20000,
      50,
    );
    await sleep(SETTLE_MS);
    const cpu0 = cpuOf(supPid);
    const n0 = countersOf(supPid);
    const completing = logComplete(logs, 'OUT');
    const started = await run(['supervisorctl', '-c', conf, 'start', 'tp']);
    if (!/started/.test(started.out)) problems.push(`supervisorctl start tp: ${started.out.trim()}`);
    const spawned = await supEvent(/ spawned: 'tp' with pid \d+/, 'tp spawned', 20000);
    programPids.add(Number(/with pid (\d+)/.exec(spawned.line)?.[1]));
    const exited = await supEvent(/ exited: tp \(/, 'tp exited', 120000);
    const complete = await completing;
    const cpu = cpuSince(supPid, cpu0);
    const counters = countersSince(supPid, n0);
    if (!/exit status 0; expected/.test(exited.line)) problems.push(`supervisord: ${exited.line}`);
    const wallS = (exited.at - spawned.at) / 1000;
    await stop();
    const check = checkLog(logs, 'OUT', srcSha1);
    const lastByteS = (complete - spawned.at) / 1000;
    return { wallS, mbps: TOTAL_MB / wallS, cpuS: cpu.user + cpu.sys, cpu, counters, drainMs: complete - exited.at, lastByteS, check, problems };
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
