// supervisord compatibility, wired with the real adapters: the XML-RPC interface (only with --supervisor-rpc) and event listeners.
import type { EmperorSettings } from './emperor-options.ts';
import type { CommandTarget } from '../runtime/commands.ts';
import type { EventLog } from '../runtime/event-log.ts';
import type { Clock } from '../runtime/clock.ts';
import { serverUrlOf } from '../config/supervisor-rpc-address.ts';
import { startEventListeners, type EventListeners } from '../supervisor/event-listeners.ts';
import { guardedListenerSpawn, spawnListener } from '../io/listener-spawn.ts';
import type { GroupGuard } from '../io/guardian.ts';

/** The event listeners at the emperor's end. */
export interface ListenerEnds {
  /** releases their process groups from the guardian: before a clean shutdown ends it (it would SIGKILL them). */
  release(): void;
  /** their stop signal, SIGKILL after their stopwaitsecs; settles once they have exited. */
  stop(): Promise<void>;
  /** SIGKILL at once (a second SIGINT). */
  kill(): void;
}

/** No listeners (before they are started). */
export const NO_LISTENERS: ListenerEnds = { release: () => {}, stop: () => Promise.resolve(), kill: () => {} };

/**
 * Starts what the settings ask for, the listeners' process groups told to `guard` (the guardian); returns the
 * closers (the interface, the listeners) and the listeners' ends. Throws when the interface cannot open.
 */
export async function startSupervisorCompat(
  settings: EmperorSettings,
  target: CommandTarget,
  events: EventLog,
  clock: Clock,
  root: boolean,
  guard: GroupGuard,
): Promise<{ closers: Array<() => void>; listeners: ListenerEnds }> {
  const closers: Array<() => void> = [];
  const spawner = guardedListenerSpawn(spawnListener, guard);
  let listeners: EventListeners | null = null;
  // The interface's code (and its XML parser) is loaded only when asked for; it opens before any listener starts.
  // The listeners' code is loaded with the emperor: no await stands between the sockets opening and the signal handlers.
  if (settings.supervisorRpc !== null) {
    const { startSupervisorRpc } = await import('../supervisor/start-rpc.ts');
    closers.push(await startSupervisorRpc(settings.supervisorRpc, settings.supervisorRpcAuth, target, events, clock, () => listeners?.views() ?? []));
  }
  const started = startEventListeners({
    vassalsDir: settings.vassals,
    logDir: settings.logDir,
    env: process.env,
    target,
    events,
    spawn: spawner.spawn,
    serverUrl: settings.supervisorRpc === null ? null : serverUrlOf(settings.supervisorRpc),
    stderr: (t) => process.stderr.write(t),
    root,
    tyrant: settings.tyrant,
  });
  listeners = started;
  closers.push(() => void started.close());
  return { closers, listeners: { release: spawner.release, stop: () => started.close(), kill: spawner.killAll } };
}
