// The whole spawn of one instance as plain data, built once and purely: argv (with the socket shim and
// setpriv), environment, directory, rights, descriptors, log targets, socket and daemon rules.
// Accounts are looked up before (run-as.ts) and come in as data; instance-spawn carries the plan out.
import { isAbsolute, resolve } from 'node:path';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import { DAEMON_MIN_START_MS } from '../config/smart-daemon.ts';
import type { Account } from '../io/accounts.ts';
import type { FsRights } from '../io/fs-rights.ts';
import { shimArgv } from '../core/cgroup-layout.ts';

/** The setpriv binary (util-linux, on every Debian system): drops to the vassal's user and execs. */
export const SETPRIV = '/usr/bin/setpriv';

/** The exec shim: LISTEN_PID must be the program's own pid, known only in the child; sh's `$$` is, and exec keeps it. */
export const SHIM = ['/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh'] as const;

/** Gives WATCHDOG_PID the program's own pid, known only in the child: sh's `$$`, kept by exec. */
export const WATCHDOG_SHIM = ['/bin/sh', '-c', 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', 'sh'] as const;

/** Variables the emperor never passes on: they belong to the emperor's own supervisor. */
export const PRIVATE_ENV = ['NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID'];

/** How long after its group is gone an output stream may stay open (held by a process that escaped the group). */
export const ESCAPED_OUTPUT_GRACE_MS = 10_000;

/** Who a vassal with `user` or `group` runs as, looked up once (run-as.ts): the plan takes it as data. */
export interface RunAs {
  /** the user's account; null with only `group`. */
  account: Account | null;
  /** the gid setpriv sets: `group`'s, else the user's own; null: the emperor's. */
  gid: number | null;
  /** the groups the vassal has at login (its files are opened with them). */
  loginGroups: number[];
}

/** An instance's readiness channel, prepared before its plan (readiness-setup.ts). */
export interface ReadinessInputs {
  /** NOTIFY_SOCKET for a vassal with `notify`; null otherwise. */
  notifySocket: string | null;
  /** WATCHDOG_USEC (and WATCHDOG_PID through its shim); null: no watchdog. */
  watchdogUsec: number | null;
  /** the uWSGI Emperor pipe's child end, handed over as fd 3 with UWSGI_EMPEROR_FD=3; null: none. */
  emperorFd: number | null;
}

/** What the emperor supplies to every plan. */
export interface PlanContext {
  baseEnv: Readonly<Record<string, string | undefined>>;
  logDir: string;
  /** the uWSGI binary for `[uwsgi]` app files. */
  uwsgi: string;
  /** the emperor's own uid (the vassal's without `user`). */
  ownUid: number;
  /** `user`/`group` looked up; null when the spec has neither. */
  runAs: RunAs | null;
  /** the vassal's listening socket, handed over as fd 3; null without `socket`. */
  listenFd: number | null;
  /** its readiness channel; null (or absent) when the vassal says nothing about its readiness. */
  readiness?: ReadinessInputs | null;
  /** the cgroup made for this spawn (--cgroup); null (or absent): process groups. */
  cgroup?: string | null;
}

/**
 * Where one output stream goes: `emperor` a pipe the emperor prefixes onto its own output, `log` an
 * output pair into the emperor's writer of that file, `file` the file itself as the child's
 * descriptor (daemons, which outlive the emperor), `stdout` the very descriptor stdout got.
 */
export type OutputPlan = { kind: 'emperor' } | { kind: 'log'; path: string } | { kind: 'file'; path: string } | { kind: 'stdout' } | { kind: 'null' };

/** A smart-attached daemon's rules: how it is launched, waited for and stopped should its start be called off. */
export interface DaemonPlan {
  pidfile: string;
  pidfileBy: 'daemon' | 'emperor';
  startTimeoutMs: number;
  stopSignal: string;
  stopTimeoutMs: number;
}

/** One instance's spawn, all decided. */
export interface SpawnPlan {
  /** what is executed: the command behind the socket shim, setpriv and the cgroup shim when they apply. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  umask: number | null;
  /** the uid the process will have (a daemon must run as it). */
  uid: number;
  /** the gid setpriv gives it; null: the emperor's own. */
  gid: number | null;
  /** the rights files are opened and checked with; null: the emperor's own. */
  rights: FsRights | null;
  /** the child changes into `cwd` before it drops its rights: check it could do so itself. */
  checkDirectory: boolean;
  /** behind the shim a missing program only shows as exit 127: check it exists before the spawn. */
  checkProgram: string | null;
  stdin: 'null';
  stdout: OutputPlan;
  stderr: OutputPlan;
  /** the socket as fd 3 with the systemd variables; null without one. */
  listenFd: number | null;
  /** the uWSGI Emperor pipe's child end as fd 3 (never with `listenFd`); absent without one. */
  emperorFd?: number;
  daemon: DaemonPlan | null;
  /** a missing program is the uWSGI binary (a hint for its error). */
  uwsgi: boolean;
  /** how long after the exit its output ends stay open. */
  outputGraceMs: number;
  /** the cgroup the shim outermost in `argv` enters; absent: process groups. */
  cgroup?: string;
  /** the command behind the shims and setpriv, which failures name; absent when argv[0] is it. */
  program?: string;
}

/** Where a vassal's log path lives: relative paths are under --log-dir. */
export function resolveLogPath(path: string, index: number, logDir: string): string {
  const p = expandInstance(path, index);
  return isAbsolute(p) ? p : resolve(logDir, p);
}

/** The filesystem rights of a looked-up `user`; null without one (`group` alone keeps the emperor's). */
export function rightsOf(runAs: RunAs | null): FsRights | null {
  const account = runAs?.account ?? null;
  if (runAs === null || account === null) return null;
  // As setpriv runs it: login groups with --init-groups, none with --clear-groups (a bare uid).
  return { name: account.name, uid: account.uid, gid: runAs.gid ?? account.gid, groups: account.known ? runAs.loginGroups : [] };
}

/** The whole spawn of instance `index` of `spec`. */
export function planSpawn(spec: VassalSpec, index: number, ctx: PlanContext): SpawnPlan {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.baseEnv)) if (v !== undefined) env[k] = v;
  for (const k of PRIVATE_ENV) delete env[k];
  for (const [k, v] of spec.env) env[k] = expandInstance(v, index);
  env.EMPEROR_VASSAL = spec.name;
  env.EMPEROR_INSTANCE = String(index);
  const cwd = expandInstance(spec.directory, index);
  let argv = spec.command.map((w) => expandInstance(w, index));
  if (spec.uwsgiApp) argv[0] = ctx.uwsgi;
  const program = argv[0] ?? '';
  const ready = ctx.readiness ?? null;
  const cgroup = ctx.cgroup ?? null;
  const checkProgram = (ctx.listenFd !== null || cgroup !== null) && (program.includes('/') || env.PATH !== undefined) ? program : null;
  if (ctx.listenFd !== null) {
    // Before setpriv: setpriv execs too, so the shim runs as the vassal's user and the pid stays the program's.
    env.LISTEN_FDS = '1';
    env.LISTEN_FDNAMES = spec.name;
    delete env.LISTEN_PID;
    argv = [...SHIM, ...argv];
  }
  if (ready !== null) argv = readinessArgv(ready, env, argv);
  const rights = rightsOf(ctx.runAs);
  if (ctx.runAs !== null) argv = [SETPRIV, ...setprivArgs(ctx.runAs, env), '--', ...argv];
  // Outermost: entering a cgroup takes the emperor's rights (setpriv drops them), and nothing runs outside it.
  if (cgroup !== null) argv = shimArgv(cgroup, argv);
  const daemon = spec.pidfile === null ? null : daemonPlan(spec, spec.pidfile);
  const logPath = (p: string | null): string | null => (p === null ? null : resolveLogPath(p, index, ctx.logDir));
  const outputs = daemon === null ? pipedOutputs(logPath(spec.log), logPath(spec.stdoutLog), logPath(spec.stderrLog)) : daemonOutputs(logPath(spec.log), logPath(spec.stdoutLog), logPath(spec.stderrLog));
  return {
    argv,
    env,
    cwd,
    umask: spec.umask,
    uid: ctx.runAs?.account?.uid ?? ctx.ownUid,
    gid: ctx.runAs?.gid ?? null,
    rights,
    checkDirectory: rights !== null && spec.lines.directory !== undefined,
    checkProgram,
    stdin: 'null',
    ...outputs,
    listenFd: ctx.listenFd,
    ...(ready?.emperorFd == null ? {} : { emperorFd: ready.emperorFd }),
    daemon,
    uwsgi: spec.uwsgiApp,
    outputGraceMs: spec.stopTimeout + ESCAPED_OUTPUT_GRACE_MS,
    ...(cgroup === null ? {} : { cgroup }),
    ...(argv[0] === program ? {} : { program }),
  };
}

// The readiness variables in `env`; argv behind the watchdog's shim when there is a watchdog (before setpriv, as the socket's).
function readinessArgv(r: ReadinessInputs, env: Record<string, string>, argv: string[]): string[] {
  if (r.notifySocket !== null) env.NOTIFY_SOCKET = r.notifySocket;
  if (r.emperorFd !== null) env.UWSGI_EMPEROR_FD = '3';
  if (r.watchdogUsec === null) return argv;
  env.WATCHDOG_USEC = String(r.watchdogUsec);
  return [...WATCHDOG_SHIM, ...argv];
}

// setpriv's options (and the login variables of the user it becomes, set in `env`).
function setprivArgs(runAs: RunAs, env: Record<string, string>): string[] {
  const args: string[] = [];
  const account = runAs.account;
  if (account !== null) {
    args.push(`--reuid=${account.uid}`);
    // With a passwd entry, the user's supplementary groups as at login; a bare uid gets none.
    args.push(account.known ? '--init-groups' : '--clear-groups');
    env.HOME = account.home;
    env.USER = account.name;
    env.LOGNAME = account.name;
    env.SHELL = account.shell;
  } else {
    args.push('--keep-groups');
  }
  if (runAs.gid !== null) args.push(`--regid=${runAs.gid}`);
  return args;
}

// Log files are fed through output pairs by the emperor (rotation, never blocking); the rest onto its own output.
function pipedOutputs(both: string | null, out: string | null, err: string | null): { stdout: OutputPlan; stderr: OutputPlan } {
  const stream = (p: string | null): OutputPlan => (p === null ? { kind: 'emperor' } : { kind: 'log', path: p });
  return { stdout: stream(both ?? out), stderr: stream(both ?? err) };
}

// A daemon's output never goes through the emperor: it outlives the emperor. It gets its files themselves.
function daemonOutputs(both: string | null, out: string | null, err: string | null): { stdout: OutputPlan; stderr: OutputPlan } {
  if (both !== null) return { stdout: { kind: 'file', path: both }, stderr: { kind: 'stdout' } };
  const stream = (p: string | null): OutputPlan => (p === null ? { kind: 'null' } : { kind: 'file', path: p });
  return { stdout: stream(out), stderr: stream(err) };
}

function daemonPlan(spec: VassalSpec, pidfile: string): DaemonPlan {
  return {
    pidfile,
    pidfileBy: spec.pidfileBy,
    startTimeoutMs: Math.max(spec.startSecs, DAEMON_MIN_START_MS),
    stopSignal: spec.stopSignal,
    stopTimeoutMs: spec.stopTimeout,
  };
}
