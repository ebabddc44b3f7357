// Starts one instance's process: the socket it inherits, then its spawn plan carried out in one place
// (a plain child, a piped child or a daemon).
import type { VassalSpec } from '../config/spec.ts';
import { attachOutput, type OutputSinks } from './child-output.ts';
import type { OutputRing } from './output-ring.ts';
import { startDaemon } from './daemon.ts';
import { lookupRunAs } from './run-as.ts';
import { spawnPiped } from './piped-spawn.ts';
import type { LogWriter } from '../io/log-writer.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import type { VassalSocket } from './vassal-socket.ts';
import { planSpawn, type OutputPlan, type RunAs, type SpawnPlan } from './spawn-plan.ts';
import { explainUnrunnable, type OutputTarget, type SpawnedProcess, type SpawnFailed, type SpawnRequest, type Spawner } from '../io/spawner.ts';
import type { DaemonRecords } from '../io/daemon-records.ts';
import type { FsRights } from '../io/fs-rights.ts';
import type { EventRecord } from './event-log.ts';
import type { DaemonPorts, Signals } from './ports.ts';
import { openSpawnFiles } from '../io/log-file-open.ts';
import { asFailed, failed, failedWith, failureOf, type Failed, type Failure } from '../core/errors.ts';
import { closeSync } from 'node:fs';
import type { ReadinessPort } from './emperor-ports.ts';
import { prepareReadiness, withReadiness } from './readiness-setup.ts';
import { containedDaemon, releaseOnFailure, spawnCgroup } from './cgroup-supervised.ts';
import { SpawnedChild } from './spawned-child.ts';
import type { CgroupPort, SpawnCgroup } from './emperor-ports.ts';
import { withLimitHint } from './limit-hint.ts';
import { CGROUP_SHIM } from '../core/cgroup-layout.ts';

// The emperor's own uid, read once (a syscall per spawn otherwise): it never changes while it runs.
const OWN_UID = process.getuid?.() ?? 0;

/** What a spawn uses of the emperor's services (VassalServices has all of it). */
export interface SpawnServices extends OutputSinks {
  spawner: Spawner;
  records: DaemonRecords;
  guardian: { track(pgid: number): void; untrack(pgid: number): void };
  events: { write(record: EventRecord): void };
  logDir: string;
  baseEnv: Record<string, string | undefined>;
  uwsgi: string;
  signals: Signals;
  /** the daemon watch's ports (time, signals, pidfiles and process identities). */
  daemon: DaemonPorts;
  groupAlive(pgid: number): boolean;
  killGroup(pgid: number, signal: string): void;
  /** the vassals' NOTIFY_SOCKET and uWSGI Emperor pipes; absent: no vassal may announce readiness. */
  readiness?: ReadinessPort;
  /** a cgroup per spawn (--cgroup); absent: process groups. */
  cgroups?: CgroupPort;
}

/** What a spawn borrows from its vassal: the services, its socket, its log writers and its output ring. */
export interface SpawnContext {
  readonly name: string;
  readonly services: SpawnServices;
  readonly socket: Pick<VassalSocket, 'acquire' | 'holds'>;
  readonly logs: { writer(path: string, spec: VassalSpec, rights: FsRights | null): LogWriter };
  /** where lines printed to the emperor's output are kept (the vassal's ring). */
  readonly output: Pick<OutputRing, 'push'>;
}

/** One process for instance `i` of `spec`: a plain child (watched through its group) or a smart-attached daemon. */
export function spawnInstance(ctx: SpawnContext, spec: VassalSpec, i: number): Supervised | PendingSpawn | Failed {
  // The accounts are looked up once per spawn, before anything is opened on the vassal's behalf.
  const looked = lookupRunAs(spec.user, spec.group);
  if (!looked.ok) return failedWith(failureOf(looked, 'E_ACCOUNT_UNKNOWN'));
  const runAs = looked.value;
  const listen = ctx.socket.acquire(spec);
  if ('error' in listen) return asFailed(listen, 'E_BIND_FAILED');
  if (listen.ready === null) return spawnProcess(ctx, spec, i, runAs, listen.fd);
  // A socket just bound listens a moment later (a helper process): the spawn waits for it.
  let cancelled = false;
  const pending = listen.ready.then((why): Promise<Supervised | Failed> | Supervised | Failed => {
    if (why !== null) return failed('E_BIND_FAILED', why);
    if (cancelled) return failed('E_SPAWN_CANCELLED', 'stopped before its socket was listening');
    // Closed meanwhile (the vassal went, its address changed): its number may be another file's now.
    if (listen.fd === null || !ctx.socket.holds(listen.fd)) return failed('E_SPAWN_CANCELLED', 'its socket was closed before it listened');
    const started = spawnProcess(ctx, spec, i, runAs, listen.fd);
    return 'pending' in started ? started.pending.then(withCode) : started;
  }).catch((err: unknown) => failed('E_SPAWN_FAILED', `cannot start: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
  return { pending, cancel: () => void (cancelled = true) };
}

// The process itself, with the socket's descriptor (null without `socket`): its plan, then the plan carried out.
function spawnProcess(ctx: SpawnContext, spec: VassalSpec, i: number, runAs: RunAs | null, listenFd: number | null): Supervised | PendingSpawn | Failed {
  const s = ctx.services;
  // Its readiness channel first: the plan hands it over (NOTIFY_SOCKET, the watchdog, the uWSGI Emperor pipe).
  const ready = prepareReadiness(s, spec, i, listenFd !== null);
  if (ready !== null && 'error' in ready) return ready;
  // Its cgroup (containment on): the plan's shim enters it, outermost.
  const cg = spawnCgroup(s.cgroups, spec, i);
  if (cg !== null && 'error' in cg) return cg;
  const plan = planSpawn(spec, i, { baseEnv: s.baseEnv, logDir: s.logDir, uwsgi: s.uwsgi, ownUid: OWN_UID, runAs, listenFd, readiness: ready?.inputs ?? null, cgroup: cg?.dir ?? null });
  const started = withReadiness(ready?.link ?? null, releaseOnFailure(cg, carryOut(ctx, spec, i, plan, cg, ready?.link.onLines)));
  return withLimitHint(s.daemon.facts, runAs?.account ?? null, started);
}

// The plan carried out: its files opened with the vassal's rights (one switch), then one spawn.
// `onLines` hears each batch of whole output lines (`ready-log-line`).
function carryOut(ctx: SpawnContext, spec: VassalSpec, i: number, plan: SpawnPlan, cg: SpawnCgroup | null, onLines?: (text: string) => void): Supervised | PendingSpawn | Failed {
  const s = ctx.services;
  const paths = [plan.stdout, plan.stderr].flatMap((o) => (o.kind === 'file' ? [o.path] : []));
  const opened = plan.checkDirectory || paths.length > 0 ? openSpawnFiles(plan.rights, { enter: plan.checkDirectory ? plan.cwd : null, files: paths }) : { ok: true as const, value: [] };
  if (!opened.ok) return failedWith(failureOf(opened, 'E_LOG_OPEN'));
  const fds = opened.value.slice();
  const closeFds = (): void => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  // Behind a shim a missing program is only an exit 127: it is checked first. A spawner that enters the
  // cgroup itself execs the program directly (no shim left in front of it) and explains a failure itself.
  const direct = plan.cgroup !== undefined && s.spawner.cgroups === true && plan.argv[CGROUP_SHIM.length + 1] === plan.checkProgram;
  if (plan.checkProgram !== null && !direct) {
    const why = explainUnrunnable(plan.checkProgram, plan.cwd, plan.env.PATH);
    if (why !== null) {
      closeFds();
      return failedWith(why);
    }
  }
  const stdout = target(plan.stdout, opened.value, null);
  const request: SpawnRequest = { argv: plan.argv, cwd: plan.cwd, env: plan.env, umask: plan.umask, stdout, stderr: target(plan.stderr, opened.value, stdout) };
  // A spawner that enters the cgroup itself gets the command without the plan's shell shim (one exec less).
  if (plan.cgroup !== undefined && s.spawner.cgroups === true) {
    request.argv = plan.argv.slice(CGROUP_SHIM.length + 1);
    request.cgroup = plan.cgroup;
  }
  const fd3 = plan.listenFd ?? plan.emperorFd ?? null;
  if (fd3 !== null) request.listenFd = fd3;
  if (plan.program !== undefined) request.program = plan.program;
  if (plan.daemon !== null) {
    const d = plan.daemon;
    const started = startDaemon({
      name: ctx.name,
      pidfile: d.pidfile,
      pidfileBy: d.pidfileBy,
      request,
      spawner: s.spawner,
      records: s.records,
      startTimeoutMs: d.startTimeoutMs,
      uid: plan.uid,
      rights: plan.rights,
      emperorPid: process.pid,
      guard: s.guardian,
      note: (message) => s.events.write({ level: message.startsWith('adopted') ? 'info' : 'warn', vassal: ctx.name, instance: i, message }),
      stopSignal: d.stopSignal,
      stopTimeoutMs: d.stopTimeoutMs,
      ports: s.daemon,
    });
    closeFds();
    // daemon.ts still answers `{ error }` for its own failures (pidfile, an exit at once): they get a code here.
    if ('pending' in started) return containedDaemon(s.cgroups, { pending: started.pending.then(withCode), cancel: (stopDaemon) => started.cancel(stopDaemon) });
    return containedDaemon(s.cgroups, withCode(started));
  }
  const hint = (f: Failure): Failed =>
    failedWith(plan.uwsgi && /not in PATH|does not exist/.test(f.message) ? { ...f, message: `${f.message} (the uWSGI binary: install uwsgi or pass --uwsgi PATH)` } : f);
  const writer = (o: OutputPlan): LogWriter | null => (o.kind === 'log' ? ctx.logs.writer(o.path, spec, plan.rights) : null);
  const writers = { stdout: writer(plan.stdout), stderr: writer(plan.stderr) };
  if (writers.stdout !== null || writers.stderr !== null) {
    return spawnPiped({
      request,
      spawner: s.spawner,
      writers,
      closeFds,
      explain: hint,
      started: (proc, feeds) => {
        const child = childOf(s, cg, proc, ctx.name, i);
        attachOutput(outputsOf(proc, child), ctx.name, s, ctx.output, feeds, plan.outputGraceMs, onLines);
        return child;
      },
    });
  }
  const done = (proc: SpawnedProcess | SpawnFailed): Supervised | PendingSpawn | Failed => {
    closeFds();
    if ('error' in proc) {
      if (proc.reason === undefined) return hint(proc.failure);
      return { pending: proc.reason.then(hint), cancel: () => {} };
    }
    const child = childOf(s, cg, proc, ctx.name, i);
    attachOutput(outputsOf(proc, child), ctx.name, s, ctx.output, { stdout: null, stderr: null }, plan.outputGraceMs, onLines);
    return child;
  };
  // Off the main thread where the spawner can (several children start at once); a stop meanwhile gets
  // the process once it exists (the lifecycle stops a process spawned while STOPPING).
  if (s.spawner.spawnLater === undefined) return done(s.spawner.spawn(request));
  return { pending: s.spawner.spawnLater(request).then((proc) => settled(done(proc))), cancel: () => {} };
}

// A start's outcome once it is known.
function settled(r: Supervised | PendingSpawn | Failed): Supervised | Failed | Promise<Supervised | Failed> {
  return 'pending' in r ? r.pending : r;
}

// A start's result with every failure carrying a code (daemon.ts answers a bare `{ error }` still).
function withCode(r: Supervised | { error: string; failure?: Failure }): Supervised | Failed {
  return 'error' in r ? asFailed(r, 'E_SPAWN_FAILED') : r;
}

// A stream's descriptor: files in the order the plan names them; pipes the emperor reads (replaced by
// an output pair for a log file); `stdout`: the very target stdout got.
function target(o: OutputPlan, fds: readonly number[], stdout: OutputTarget | null): OutputTarget {
  switch (o.kind) {
    case 'emperor':
    case 'log':
      return { kind: 'pipe' };
    case 'null':
      return { kind: 'null' };
    case 'stdout':
      return stdout ?? { kind: 'null' };
    case 'file':
      return { kind: 'fd', fd: fds[stdout !== null && stdout.kind === 'fd' ? 1 : 0] as number };
  }
}

// A plain child, watched through its cgroup when it has one (told to the cgroup port), else its process group.
// Made apart: an object made in carryOut would keep that call's whole scope (the plan, its environment) for the child's life.
function childOf(s: SpawnServices, cg: SpawnCgroup | null, proc: SpawnedProcess, vassal: string, instance: number): Supervised {
  const contained = s.cgroups !== undefined && cg !== null ? cg : null;
  if (contained !== null) s.cgroups?.bind(proc.pid, contained);
  return new SpawnedChild(s, proc.pid, (listener) => proc.onExit(listener), contained, vassal, instance);
}

// The child's outputs with its exit heard through `child`, for the output's readers: the spawner's own
// object is let go (its onExit keeps the whole prepared spawn, the environment string included, ~1.7 KB).
function outputsOf(proc: SpawnedProcess, child: Supervised): SpawnedProcess {
  return { pid: proc.pid, stdout: proc.stdout, stderr: proc.stderr, onExit: (listener) => child.onExit(listener) };
}
