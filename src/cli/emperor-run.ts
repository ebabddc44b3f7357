// The running emperor: the real adapters, its sockets and metrics, and its signals.
import { mkdirSync, statSync } from 'node:fs';
import { packageVersion } from './package-version.ts';
import type { EmperorSettings } from './emperor-options.ts';
import { Emperor } from '../runtime/emperor.ts';
import { EventLog } from '../runtime/event-log.ts';
import { nodeTimers, realEmperorPorts, systemClock, systemTime } from './real-ports.ts';
import { startHeapTrim } from '../runtime/heap-trim.ts';
import { realHeap } from './real-heap.ts';
import { recordEvents } from '../runtime/event-ring.ts';
import { readWebToken } from './web-token.ts';
import { lockStateDir } from '../io/state-lock.ts';
import { closeUnix, startStatsServer } from '../control/stats-server.ts';
import { snapshot } from '../runtime/snapshot.ts';
import type { StatsDocument } from '../control/protocol.ts';
import { startControlServer } from '../control/control-server.ts';
import { runCommand, type CommandTarget } from '../runtime/commands.ts';
import { SystemdNotifier } from '../runtime/systemd-notifier.ts';
import { statusLine } from '../runtime/status-line.ts';
import { lookupGroup } from '../io/accounts.ts';
import { nativeHelper } from '../io/native.ts';
import { directoryTrustProblem } from '../runtime/directory-trust.ts';
import { startContainment } from './emperor-cgroups.ts';
import { NO_LISTENERS, startSupervisorCompat, type ListenerEnds } from './supervisor-wiring.ts';
import { rereadConfig } from './reread-config.ts';
import { startAlarms } from './alarm-wiring.ts';
import { startScheduler } from './schedule-wiring.ts';
import { isEtcdUrl } from '../config/etcd-url.ts';
import { fleetValue, sourcesOf } from './vassal-sources.ts';
import { wireEtcd } from './etcd-wiring.ts';

/** Runs the emperor until a signal ends it. */
export async function run(settings: EmperorSettings): Promise<void> {
  const events = new EventLog(settings.logFormat);
  const ring = recordEvents(events);
  const web = readWebToken(settings.webToken);
  if (!web.ok) fail(web.message);
  const statsGid = settings.statsGroup === null ? null : lookupGroup(settings.statsGroup);
  if (statsGid === null && settings.statsGroup !== null) fail(`--stats-group ${settings.statsGroup}: no such group in /etc/group; create it (groupadd) or fix the option`);
  const hasDir = settings.sources.some((t) => !isEtcdUrl(t));
  try {
    if (hasDir && !statSync(settings.vassals).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    fail(`vassal directory ${settings.vassals} cannot be used (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); create it or pass --vassals DIR`);
  }
  const root = process.geteuid?.() === 0;
  // Under systemd's Type=notify, an emperor that cannot say READY=1 would be killed at the start
  // timeout and restarted forever: better to say why at once.
  const helper = process.env.NOTIFY_SOCKET ? nativeHelper() : null;
  if (typeof helper === 'string') fail(`NOTIFY_SOCKET is set (systemd Type=notify) but ${helper}`);
  if (settings.tyrant && !root) fail('--tyrant needs root: only root can run each vassal as its file\'s owner; run the emperor as root or without --tyrant');
  // As root, a directory others can write to would let them run anything: refuse to start on it.
  const untrusted = root && hasDir ? directoryTrustProblem(settings.vassals, settings.tyrant) : null;
  if (untrusted !== null) fail(untrusted);
  let lock: { release(): void };
  try {
    lock = lockStateDir(settings.stateDir);
    mkdirSync(settings.logDir, { recursive: true });
  } catch (err) {
    fail((err as Error).message);
  }
  const containment = await startContainment(settings.cgroup, settings.stateDir, events);
  if ('error' in containment) {
    lock.release();
    fail(containment.error);
  }
  let notifier: SystemdNotifier | null = null;
  // Read only once everything below exists (the etcd presence key asks for it after the start).
  const current = (): StatsDocument => {
    const doc = snapshot(facts, emperor.vassals.values(), systemClock);
    for (const v of doc.vassals) v.next_run = scheduler.nextRun(v.name);
    return doc;
  };
  const etcd = await wireEtcd(settings, events, root, () => fleetValue(current(), settings.metrics)).catch((err: Error) => {
    lock.release();
    fail(err.message);
  });
  // One plain copy of the environment (nothing in the emperor changes it): every spawn copies it, and
  // process.env answers each read through C++ (copying it was the largest JS cost of a spawn of 1,000).
  const env = { ...process.env };
  const emperor = new Emperor({
    logDir: settings.logDir,
    uwsgi: settings.uwsgi,
    uwsgiHeartbeatMs: settings.uwsgiHeartbeatMs,
    rescanIntervalMs: settings.rescanIntervalMs,
    sampleIntervalMs: settings.sampleIntervalMs,
    env,
    events,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    onChange: () => notifier?.changed(),
    ports: realEmperorPorts({
      vassalsDir: settings.vassals,
      stateDir: settings.stateDir,
      env,
      root,
      tyrant: settings.tyrant,
      warn: (m) => events.warn(m),
      sources: etcd === null ? undefined : sourcesOf(settings, etcd.source, root, process.env, (m) => events.warn(m)),
      cgroups: containment.tree,
    }),
  });
  const alarms = startAlarms(settings, emperor, events);
  const scheduler = startScheduler(settings.stateDir, emperor, events);
  // vassals_dir: the first directory among the sources, or null when every source is etcd.
  const firstDir = settings.sources.find((s) => !isEtcdUrl(s)) ?? null;
  const facts = { version: packageVersion(), pid: process.pid, startedAt: Math.round(Date.now()) / 1000, vassalsDir: firstDir, sources: () => emperor.sourceHealth() };
  const target: CommandTarget = {
    vassals: emperor.vassals,
    logDir: settings.logDir,
    snapshot: current,
    rescan: () => emperor.reconcile(),
    start: (v) => v.start(),
    events: ring,
    runNow: (name) => scheduler.runNow(name),
    ...(etcd !== null ? { fleet: etcd.fleet } : {}),
  };
  // Every listener opened so far is closed again if a later one cannot open.
  const closers: Array<() => void> = [];
  let listeners: ListenerEnds = NO_LISTENERS;
  const closeAll = (): void => {
    for (const close of closers.splice(0).reverse()) close();
  };
  try {
    const stats = await startStatsServer(settings.stats, () => JSON.stringify(current()), statsGid);
    closers.push(() => closeUnix(stats, settings.stats));
    const control = await startControlServer(settings.control, (req, conn) => runCommand(target, req, conn));
    closers.push(() => closeUnix(control, settings.control));
    // supervisord's XML-RPC interface (--supervisor-rpc) and the [eventlistener:x] sections.
    const compat = await startSupervisorCompat(settings, target, events, systemClock, root, emperor.guardian);
    closers.push(...compat.closers);
    listeners = compat.listeners;
  } catch (err) {
    closeAll();
    lock.release();
    fail((err as Error).message);
  }
  if (settings.metrics !== 'off') {
    // Monitoring is never worth leaving the vassals unsupervised: a taken port is a warning.
    // prom-client and the status page (its HTML, node:http, node:crypto) load only when metrics are served.
    const { createMetrics } = await import('../metrics/registry.ts');
    const { startMetricsServer } = await import('../metrics/http-server.ts');
    const { webViews } = await import('./web-views.ts');
    const metrics = createMetrics({
      snapshot: current,
      cpuSeconds: (name) => emperor.vassals.get(name)?.cpuSeconds ?? 0,
      droppedLogBytes: (name) => emperor.vassals.get(name)?.droppedBytes ?? 0,
      alarms: () => alarms.totals(),
      contained: () => containment.tree !== null,
    });
    try {
      const http = await startMetricsServer(settings.metrics, metrics, webViews(target, ring, web.token));
      closers.push(() => http.close());
    } catch (err) {
      events.write({ level: 'error', message: `${(err as Error).message}; running without metrics` });
    }
  }
  const closeSockets = closeAll;
  events.info(
    `emperor ${facts.version} pid ${process.pid}: vassals ${settings.sources.join(' + ')}, state ${settings.stateDir}, ` +
      `control ${settings.control}, stats ${settings.stats}, metrics ${settings.metrics === 'off' ? 'off' : `http://${settings.metrics}/metrics`}`,
  );
  const missing = nativeHelper();
  if (typeof missing === 'string') {
    events.warn(`${missing}. Until then: no \`notify\` vassals, \`[uwsgi]\` vassals run without the uWSGI Emperor pipe (RUNNING after start-secs), and as root no log files or pidfiles for \`user\` vassals`);
  }
  notifier = SystemdNotifier.fromEnv(process.env, process.pid, {
    status: () => statusLine(emperor.vassals.values()),
    warn: (m) => events.warn(m),
    monotonicUsec: () => process.hrtime.bigint() / 1000n,
    time: systemTime,
  });
  if (notifier !== null) {
    const dog = notifier.watchdogMs;
    events.info(`notifying systemd at ${process.env.NOTIFY_SOCKET ?? ''}${dog !== null ? `; watchdog ping every ${dog} ms` : ''}`);
  }
  emperor.start();
  // After a burst (the start, a big reconcile) the heap's garbage and pages go back (README: Footprint).
  const heapTrim = startHeapTrim(realHeap, nodeTimers);
  etcd?.presence.start();
  void emperor.startsQueued().then(() => notifier?.markReady());

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      if (signal !== 'SIGINT') return;
      events.warn(`second ${signal}: killing every vassal now`);
      // A child the thread pool is starting right now is killed once it exists (it would outlive the emperor).
      await Promise.race([emperor.killAll(), new Promise((r) => setTimeout(r, 2000))]);
      // The listeners too (the first signal released them from the guardian).
      listeners.kill();
      emperor.guardian.close();
      containment.close();
      closeSockets();
      lock.release();
      process.exit(1);
    }
    stopping = true;
    heapTrim.stop();
    notifier?.stopping();
    events.info(`${signal}: stopping every vassal (send SIGINT again to kill them at once)`);
    await etcd?.presence.close();
    // The listeners are stopped after the vassals (they hear every stop) with their stop signal, not by the guardian's SIGKILL.
    listeners.release();
    await emperor.shutdown();
    // Then the listeners: their stop signal, SIGKILL after their stopwaitsecs; the emperor exits once they have.
    await listeners.stop();
    containment.close();
    closeSockets();
    lock.release();
    const daemons = [...emperor.vassals.values()].filter((v) => v.spec?.pidfile != null).length;
    events.info(`all vassals stopped${daemons > 0 ? `; ${daemons} smart-attached daemon${daemons === 1 ? '' : 's'} left running for the next emperor` : ''}; bye`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    events.info(`SIGHUP: rescanning the vassal directory${settings.config !== null ? ` and re-reading ${settings.config}` : ''}`);
    notifier?.reloading();
    if (settings.config !== null) rereadConfig(settings, emperor, events, alarms);
    emperor.reconcile();
    void emperor.startsQueued().then(() => {
      if (!stopping) notifier?.markReady();
    });
  });
  // A closed terminal or log reader must not kill the emperor.
  process.on('SIGPIPE', () => {});
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

function fail(message: string, code = 1): never {
  process.stderr.write(`emperor: ${message}\n`);
  process.exit(code);
}

