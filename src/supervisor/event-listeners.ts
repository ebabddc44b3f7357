// Runs the vassal directory's [eventlistener:x] pools and feeds them supervisord's events from the emperor's.
import { watch, type FSWatcher } from 'node:fs';
import { lookupUser } from '../io/accounts.ts';
import { sharedLister } from '../io/vassal-dir.ts';
import type { ListenerSpawner } from '../io/listener-spawn.ts';
import type { CommandTarget } from '../runtime/commands.ts';
import type { EventLog, LiveEvent } from '../runtime/event-log.ts';
import { ListenerFileScanner, type FoundListener } from './listener-files.ts';
import { dueTicks, processStateEvents, type SupEvent, type TriesTable } from './listener-events.ts';
import { ListenerPool } from './listener-pool.ts';
import { LogEventFeed } from './log-event-feed.ts';
import type { ListenerView } from './process-view.ts';

/**
 * A full look at the directory, beside its inotify watch and the emperor's own found/changed events (which
 * already bring a look): a backstop, so rare that 500 idle files cost nothing (each look is an fstat per file).
 */
const RESCAN_MS = 300_000;
/** How soon after a change in the directory it is looked at (editors write in several steps). */
const SETTLE_MS = 100;
/** How often ticks are checked, while some listener runs. */
const TICK_CHECK_MS = 1000;

/** What the listeners need from the emperor. */
export interface ListenerDeps {
  vassalsDir: string;
  logDir: string;
  env: Record<string, string | undefined>;
  target: CommandTarget;
  events: EventLog;
  spawn: ListenerSpawner;
  /** `unix:///PATH` or `http://HOST:PORT` of --supervisor-rpc, for SUPERVISOR_SERVER_URL. */
  serverUrl: string | null;
  stderr: (text: string) => void;
  root: boolean;
  /** --tyrant: a listener runs as its file's owner, as vassals do. */
  tyrant: boolean;
}

/** supervisord's process name of a vassal's instance (its name alone for one instance). */
export function processNameOf(target: CommandTarget, vassal: string, index: number): string {
  const spec = target.vassals.get(vassal)?.spec ?? null;
  if (spec === null || spec.instances <= 1) return vassal;
  return spec.instanceNames[index] ?? `${vassal}_${index}`;
}

/** The running listeners: what stops them, and their processes for supervisorctl status. */
export interface EventListeners {
  /** Stops every listener (its stop signal, SIGKILL after its stopwaitsecs); settles once all have exited. Again: the same promise. */
  close(): Promise<void>;
  views(): ListenerView[];
}

/** Starts watching for listeners. */
export function startEventListeners(deps: ListenerDeps): EventListeners {
  // Listener trouble is reported, never thrown into the emperor's own transitions or timers.
  const guarded = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
    try {
      fn(...args);
    } catch (err) {
      deps.events.write({ level: 'error', message: `event listeners: ${(err as Error).message}` });
    }
  };
  const pools = new Map<string, { pool: ListenerPool; json: string }>();
  // The emperor's own listing of the directory: one entry per file, shared with its reconcile.
  const lister = sharedLister(deps.vassalsDir);
  const scanner = new ListenerFileScanner(() => lister.list(), deps.env, (m) => deps.events.warn(m), { root: deps.root, tyrant: deps.tyrant });
  const tries: TriesTable = new Map();
  const ticks = new Map<number, number>();
  let serial = -1;
  // A serial is used only by an event some pool takes, as in supervisord.
  const publish = (ev: SupEvent): void => {
    const takers = [...pools.values()].filter(({ pool }) => pool.wants(ev.type));
    if (takers.length === 0) return;
    serial += 1;
    for (const { pool } of takers) pool.offer({ ...ev, serial });
  };
  const log = (name: string) => (message: string, level: 'info' | 'warn' | 'error') => deps.events.write({ level, vassal: `eventlistener:${name}`, message });
  const logs = new LogEventFeed(deps.target, guarded(publish));

  const build = ({ spec, owner }: FoundListener): ListenerPool | null => {
    const refuse = (why: string): null => {
      log(spec.name)(`${why}; not started`, 'error');
      return null;
    };
    let account: { uid: number; gid: number } | null = deps.tyrant ? owner : null;
    if (spec.process.user !== null) {
      const found = lookupUser(spec.process.user);
      if (found === null) return refuse(`no user ${spec.process.user} (\`user\` in ${spec.process.file})`);
      if (deps.tyrant && found.uid !== owner.uid) return refuse(`\`user = ${spec.process.user}\` is not allowed with --tyrant: ${spec.process.file} runs as its owner (uid ${owner.uid})`);
      if (!deps.root && found.uid !== process.geteuid?.()) return refuse(`\`user = ${spec.process.user}\` needs the emperor to run as root`);
      account = { uid: found.uid, gid: found.gid };
    }
    const setup = { spawn: deps.spawn, logDir: deps.logDir, baseEnv: deps.env, serverUrl: deps.serverUrl, account };
    return new ListenerPool(spec, setup, log(spec.name), (line) => deps.stderr(`eventlistener:${line}\n`));
  };

  const reconcile = (): void => {
    const found = scanner.scan();
    for (const [key, entry] of pools) {
      const listener = found.listeners.get(key);
      if (listener !== undefined && JSON.stringify(listener) === entry.json) continue;
      pools.delete(key);
      void entry.pool.stop();
    }
    for (const [key, listener] of found.listeners) {
      if (pools.has(key)) continue;
      const pool = build(listener);
      if (pool === null) continue;
      pools.set(key, { pool, json: JSON.stringify(listener) });
      pool.start();
      // supervisord sends SUPERVISOR_STATE_CHANGE_RUNNING once it runs; a listener started later gets its own.
      if (pool.wants('SUPERVISOR_STATE_CHANGE_RUNNING')) pool.offer({ type: 'SUPERVISOR_STATE_CHANGE_RUNNING', payload: '', serial: ++serial });
    }
    logs.want(pools.size === 0 ? new Map() : found.logEvents);
    syncTick();
  };

  // The tick runs only while some listener does: an emperor without listeners has no wakeup for them.
  let tick: NodeJS.Timeout | null = null;
  const syncTick = (): void => {
    if (pools.size > 0 && tick === null && !closed) {
      tick = setInterval(guarded(() => {
        for (const ev of dueTicks(ticks, Date.now() / 1000)) publish(ev);
      }), TICK_CHECK_MS);
      tick.unref();
    } else if (pools.size === 0 && tick !== null) {
      clearInterval(tick);
      tick = null;
    }
  };

  let rescanDue = false;
  let closed = false;
  const onEvent = (ev: LiveEvent): void => {
    // A vassal file found or changed is read for listeners at once, so they exist before its programs start.
    // One look per burst (a start of 1,000 files is 1,000 `found` events): a microtask still runs before any start (setImmediate).
    if (ev.vassal !== undefined && ev.instance === undefined && /^(found |file changed)/.test(ev.message ?? '') && !rescanDue) {
      rescanDue = true;
      queueMicrotask(guarded(() => {
        rescanDue = false;
        if (!closed) reconcile();
      }));
    }
    if (pools.size === 0 || ev.vassal === undefined || ev.instance === undefined) return;
    const spec = deps.target.vassals.get(ev.vassal)?.spec ?? null;
    const ctx = {
      processName: processNameOf(deps.target, ev.vassal, ev.instance),
      groupName: ev.vassal,
      expected: (code: number | null, signal: string | null) => signal === null && code !== null && (spec?.exitCodes ?? [0]).includes(code),
    };
    for (const out of processStateEvents(ev, ctx, tries)) publish(out);
  };

  const unsubscribe = deps.events.subscribe(guarded(onEvent));
  guarded(reconcile)();
  const rescan = setInterval(guarded(reconcile), RESCAN_MS);
  rescan.unref();
  // Level-triggered: a change in the directory only schedules a look at it.
  let settle: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(deps.vassalsDir, () => {
      if (settle === null) settle = setTimeout(guarded(() => {
        settle = null;
        reconcile();
      }), SETTLE_MS);
    });
    watcher.on('error', () => {});
  } catch {
    // no inotify here: the periodic look finds the changes
  }
  let stopped: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (stopped !== null) return stopped;
    closed = true;
    clearInterval(rescan);
    if (tick !== null) clearInterval(tick);
    if (settle !== null) clearTimeout(settle);
    watcher?.close();
    unsubscribe();
    logs.want(new Map());
    // Signals go out now; the emperor waits for the ends before it exits (none is left behind).
    const ends = [...pools.values()].map(({ pool }) => pool.stop());
    pools.clear();
    stopped = Promise.all(ends).then(() => undefined);
    return stopped;
  };
  return { close, views: () => [...pools.values()].flatMap(({ pool }) => pool.views()) };
}
