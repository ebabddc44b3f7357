// Starts one instance's process: the socket it inherits, then a plain child, a piped child or a daemon.
import type { VassalSpec } from '../config/spec.ts';
import { DAEMON_MIN_START_MS } from '../config/smart-daemon.ts';
import type { VassalServices } from './vassal-services.ts';
import { buildSpawnRequest, attachOutput, outputGraceMs } from './spawn-request.ts';
import type { OutputRing } from './output-ring.ts';
import { startDaemon } from './daemon.ts';
import { runAs, vassalRights } from './run-as.ts';
import { spawnPiped } from './piped-spawn.ts';
import type { VassalLogs } from './vassal-logs.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import type { VassalSocket } from './vassal-socket.ts';
import { handOverSocket } from './socket-activation.ts';
import { explainUnrunnable } from '../io/spawner.ts';
import { containRequest, contained, containedDaemon } from './cgroup-supervised.ts';

/** What a spawn borrows from its vassal: the services, its socket, its log files and its output ring. */
export interface SpawnContext {
  readonly name: string;
  readonly services: VassalServices;
  readonly socket: VassalSocket;
  readonly logs: VassalLogs;
  readonly output: OutputRing;
}

/** One process for instance `i` of `spec`: a plain child (watched through its group) or a smart-attached daemon. */
export function spawnInstance(ctx: SpawnContext, spec: VassalSpec, i: number): Supervised | PendingSpawn | { error: string } {
  const listen = ctx.socket.acquire(spec);
  if ('error' in listen) return listen;
  if (listen.ready === null) return spawnProcess(ctx, spec, i, listen.fd);
  // A socket just bound listens a moment later (a helper process): the spawn waits for it.
  let cancelled = false;
  const pending = listen.ready.then((why): Promise<Supervised | { error: string }> | Supervised | { error: string } => {
    if (why !== null) return { error: why };
    if (cancelled) return { error: 'stopped before its socket was listening' };
    // Closed meanwhile (the vassal went, its address changed): its number may be another file's now.
    if (listen.fd === null || !ctx.socket.holds(listen.fd)) return { error: 'its socket was closed before it listened' };
    const started = spawnProcess(ctx, spec, i, listen.fd);
    return 'pending' in started ? started.pending : started;
  }).catch((err: unknown) => ({ error: `cannot start: ${err instanceof Error ? err.message : String(err)}` }));
  return { pending, cancel: () => void (cancelled = true) };
}

// The process itself, with the socket's descriptor (null without `socket`).
function spawnProcess(ctx: SpawnContext, spec: VassalSpec, i: number, listenFd: number | null): Supervised | PendingSpawn | { error: string } {
  const s = ctx.services;
  const built = buildSpawnRequest(spec, i, s, spec.pidfile !== null);
  if ('error' in built) return built;
  const req = built.request;
  if (spec.uwsgiApp) req.argv[0] = s.uwsgi;
  if (listenFd !== null) {
    // Behind the shim a missing program would only show as exit 127: say why before the spawn.
    const argv0 = req.argv[0] ?? '';
    const why = argv0.includes('/') || req.env.PATH !== undefined ? explainUnrunnable(argv0, req.cwd, req.env.PATH) : null;
    if (why !== null) {
      built.closeFds();
      return { error: why };
    }
    handOverSocket(req, listenFd, ctx.name);
  }
  const plainArgv0 = req.argv[0] ?? '';
  const as = runAs(req, spec.user, spec.group);
  if ('error' in as) {
    built.closeFds();
    return as;
  }
  // Outermost wrapper: the cgroup shim (it needs the emperor's rights to enter the cgroup).
  const cg = containRequest(s.cgroups ?? null, req, ctx.name, i, spec.pidfile !== null, spec, plainArgv0);
  if (cg !== null && 'error' in cg) {
    built.closeFds();
    return cg;
  }
  // A daemon's output never goes through a pipe the emperor holds: it outlives the emperor.
  if (spec.pidfile !== null) {
    if (req.stdout.kind === 'pipe') req.stdout = { kind: 'null' };
    if (req.stderr.kind === 'pipe') req.stderr = { kind: 'null' };
    const started = startDaemon({
      name: ctx.name,
      pidfile: spec.pidfile,
      pidfileBy: spec.pidfileBy,
      request: req,
      spawner: s.spawner,
      records: s.records,
      startTimeoutMs: Math.max(spec.startSecs, DAEMON_MIN_START_MS),
      uid: as.uid,
      rights: vassalRights(spec),
      emperorPid: process.pid,
      guard: s.guardian,
      note: (message) => s.events.write({ level: message.startsWith('adopted') ? 'info' : 'warn', vassal: ctx.name, instance: i, message }),
      stopSignal: spec.stopSignal,
      stopTimeoutMs: spec.stopTimeout,
    });
    built.closeFds();
    return containedDaemon(s, started);
  }
  const hint = (e: string): string => (spec.uwsgiApp && /not in PATH|does not exist/.test(e) ? `${e} (the uWSGI binary: install uwsgi or pass --uwsgi PATH)` : e);
  const writers = {
    stdout: built.logs.stdout === null ? null : ctx.logs.writer(built.logs.stdout, spec),
    stderr: built.logs.stderr === null ? null : ctx.logs.writer(built.logs.stderr, spec),
  };
  if (writers.stdout !== null || writers.stderr !== null) {
    return spawnPiped({
      request: req,
      spawner: s.spawner,
      writers,
      closeFds: () => built.closeFds(),
      explain: hint,
      started: (proc, feeds) => {
        attachOutput(proc, ctx.name, s, ctx.output, feeds, outputGraceMs(spec));
        return contained(s, cg, supervised(s, proc.pid, proc.onExit.bind(proc)), ctx.name, i);
      },
    });
  }
  const proc = s.spawner.spawn(req);
  built.closeFds();
  if ('error' in proc) {
    if (proc.reason === undefined) return { error: hint(proc.error) };
    return { pending: proc.reason.then((e) => ({ error: hint(e) })), cancel: () => {} };
  }
  attachOutput(proc, ctx.name, s, ctx.output, { stdout: null, stderr: null }, outputGraceMs(spec));
  return contained(s, cg, supervised(s, proc.pid, proc.onExit.bind(proc)), ctx.name, i);
}

// A plain child, watched through its process group.
function supervised(s: VassalServices, pid: number, onExit: Supervised['onExit']): Supervised {
  return {
    pid,
    guarded: true,
    signal: (sig) => s.killGroup(pid, sig),
    signalMain: (sig) => {
      try {
        process.kill(pid, sig as NodeJS.Signals);
        return true;
      } catch {
        return false;
      }
    },
    alive: () => s.groupAlive(pid),
    onExit,
  };
}
