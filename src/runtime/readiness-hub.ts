// The emperor's side of its vassals' readiness: the notify socket, and one link per spawned instance.
import type { VassalSpec } from '../config/spec.ts';
import { readinessOf } from '../config/readiness-spec.ts';
import { EmperorChannel } from '../io/emperor-channel.ts';
import { NotifyReceiver } from '../io/notify-receiver.ts';
import { nativeHelper } from '../io/native.ts';
import type { SpawnRequest } from '../io/spawner.ts';
import type { EventLog } from './event-log.ts';
import { InstanceReadiness } from './readiness-link.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';

/** Gives WATCHDOG_PID the program's own pid, known only in the child: sh's `$$`, kept by exec. */
const WATCHDOG_SHIM = ['/bin/sh', '-c', 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', 'sh'] as const;

/** Owns the notify socket (opened on first use) and prepares each spawn for its vassal's readiness keys. */
export class ReadinessHub {
  private receiver: NotifyReceiver | null = null;

  constructor(
    /** where the vassals' NOTIFY_SOCKET is bound (in the state dir). */
    private readonly notifyPath: string,
    private readonly events: EventLog,
  ) {}

  /**
   * Sets up instance `index` of `spec` in `req` (NOTIFY_SOCKET and the watchdog variables, or the
   * uWSGI Emperor pipe as fd 3 with UWSGI_EMPEROR_FD=3); null when the vassal says nothing about
   * its readiness. Call `spawned(pid)` on the result once the process exists, `end()` if it never does.
   */
  prepare(spec: VassalSpec, index: number, req: SpawnRequest): InstanceReadiness | null | { error: string } {
    const r = readinessOf(spec);
    if (!r.notify && r.readyLogLine === null && r.uwsgi === null) return null;
    const note = (level: 'info' | 'warn', message: string): void => this.events.write({ level, vassal: spec.name, instance: index, message });
    let receiver: NotifyReceiver | null = null;
    if (r.notify) {
      const opened = this.notifyReceiver();
      if ('error' in opened) return { error: `${spec.file}:${spec.lines['notify'] ?? 1}: ${opened.error}` };
      receiver = opened;
      req.env.NOTIFY_SOCKET = opened.path;
      if (r.watchdog !== null) {
        req.env.WATCHDOG_USEC = String(r.watchdog * 1000);
        req.argv = [...WATCHDOG_SHIM, ...req.argv];
      }
    }
    const readyLine = r.readyLogLine === null ? null : new RegExp(r.readyLogLine);
    const signals = { stop: spec.stopSignal, reload: spec.reloadSignal };
    if (r.uwsgi === null) return new InstanceReadiness(note, receiver, null, readyLine, signals);
    if (req.listenFd !== undefined) return { error: 'the uWSGI Emperor pipe and a `socket` would both be fd 3' };
    let link: InstanceReadiness | null = null;
    const channel = EmperorChannel.open((byte) => link?.onByte(byte));
    if ('error' in channel) return channel;
    link = new InstanceReadiness(note, receiver, channel, readyLine, signals);
    req.listenFd = channel.childEnd;
    req.env.UWSGI_EMPEROR_FD = '3';
    return link;
  }

  /** Closes the notify socket (the emperor exits). */
  close(): void {
    this.receiver?.close();
    this.receiver = null;
  }

  private notifyReceiver(): NotifyReceiver | { error: string } {
    if (this.receiver !== null) return this.receiver;
    const opened = NotifyReceiver.open(this.notifyPath);
    if (!('error' in opened)) this.receiver = opened;
    return opened;
  }
}

/** A spawn's result with its readiness link attached: listening once the process exists, ended if it never does. */
export function withReadiness<T extends Supervised | PendingSpawn | { error: string }>(link: InstanceReadiness | null, result: T): Supervised | PendingSpawn | { error: string } {
  if (link === null) return result;
  if ('error' in result) {
    link.end();
    return result;
  }
  if ('pending' in result) {
    const pending = result.pending.then((r) => (('error' in r) ? (link.end(), r) : adopt(link, r)));
    return { pending, cancel: result.cancel };
  }
  return adopt(link, result);
}

function adopt(link: InstanceReadiness, sup: Supervised): Supervised {
  link.spawned(sup.pid);
  return link.wrap(sup);
}

/** Why this emperor cannot honour `notify` in a valid file (no native helper, or one too old), as `FILE:LINE: message`; null when it can. */
export function readinessRefusal(spec: VassalSpec | null): string | null {
  if (spec === null || !readinessOf(spec).notify) return null;
  const helper = nativeHelper();
  const why =
    typeof helper === 'string' ? helper : helper.notifyListen === undefined ? 'the native helper was built from an older version; run `npm rebuild` in the emperor package' : null;
  return why === null ? null : `${spec.file}:${spec.lines['notify'] ?? 1}: \`notify\` needs the native helper to receive sd_notify messages with their sender's pid (Node cannot): ${why}`;
}
