// The emperor's side of one instance's readiness: what its spawn plan gets (NOTIFY_SOCKET, the watchdog,
// the uWSGI Emperor pipe) and the link that turns what it says into lifecycle events.
import type { VassalSpec } from '../config/spec.ts';
import { readinessOf } from '../config/readiness-spec.ts';
import { failed, type Failed } from '../core/errors.ts';
import type { ReadinessPort } from './emperor-ports.ts';
import type { EventRecord } from './event-log.ts';
import { InstanceReadiness } from './readiness-link.ts';
import type { ReadinessInputs } from './spawn-plan.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';

/** What preparing a readiness channel needs of the services. */
export interface ReadinessServices {
  readiness?: ReadinessPort;
  events: { write(record: EventRecord): void };
}

/** One instance's channel, prepared before its plan: the plan's inputs and the link that listens. */
export interface PreparedReadiness {
  inputs: ReadinessInputs;
  link: InstanceReadiness;
}

/**
 * Prepares instance `index` of `spec`: the notify socket (and watchdog), or the uWSGI Emperor pipe
 * as fd 3; null when the vassal says nothing about its readiness (or no port carries it). Call
 * withReadiness on the spawn's result: the link listens once the process exists, ends if it never does.
 */
export function prepareReadiness(s: ReadinessServices, spec: VassalSpec, index: number, hasSocket: boolean): PreparedReadiness | null | Failed {
  const r = readinessOf(spec);
  const port = s.readiness;
  // Without pipes (no native helper) a `[uwsgi]` vassal runs without UWSGI_EMPEROR_FD, as before the protocol.
  const uwsgi = port?.pipesAvailable === false ? null : r.uwsgi;
  if (port === undefined || spec.pidfile !== null || (!r.notify && r.readyLogLine === null && uwsgi === null)) return null;
  const note = (level: 'info' | 'warn', message: string): void => s.events.write({ level, vassal: spec.name, instance: index, message });
  let notifySocket: string | null = null;
  if (r.notify) {
    const path = port.notifySocket();
    if (typeof path !== 'string') return failed('E_READINESS_UNAVAILABLE', `${spec.file}:${spec.lines['notify'] ?? 1}: ${path.error}`);
    notifySocket = path;
  }
  const watchdogUsec = r.notify && r.watchdog !== null ? r.watchdog * 1000 : null;
  const readyLine = r.readyLogLine === null ? null : new RegExp(r.readyLogLine);
  const signals = { stop: spec.stopSignal, reload: spec.reloadSignal };
  const receiver = notifySocket === null ? null : port;
  if (uwsgi === null) return { inputs: { notifySocket, watchdogUsec, emperorFd: null }, link: new InstanceReadiness(note, receiver, null, readyLine, signals) };
  if (hasSocket) return failed('E_FILE_INVALID', `${spec.file}:${spec.lines['socket'] ?? 1}: the uWSGI Emperor pipe and a \`socket\` would both be fd 3`);
  let link: InstanceReadiness | null = null;
  const pipe = port.openPipe((byte) => link?.onByte(byte));
  if ('error' in pipe) return pipe;
  link = new InstanceReadiness(note, receiver, pipe, readyLine, signals);
  return { inputs: { notifySocket, watchdogUsec, emperorFd: pipe.childFd }, link };
}

/** A spawn's result with its readiness link attached: listening once the process exists, ended if it never does. */
export function withReadiness(link: InstanceReadiness | null, result: Supervised | PendingSpawn | Failed): Supervised | PendingSpawn | Failed {
  if (link === null) return result;
  if ('error' in result) {
    link.end();
    return result;
  }
  if ('pending' in result) {
    const pending = result.pending.then((r) => ('error' in r ? (link.end(), r) : adopt(link, r)));
    return { pending, cancel: result.cancel };
  }
  return adopt(link, result);
}

function adopt(link: InstanceReadiness, sup: Supervised): Supervised {
  link.spawned(sup.pid);
  return link.wrap(sup);
}

/**
 * Why this emperor cannot honour `notify` in a valid file, as `FILE:LINE: message`; null when it can.
 * `unavailable` is why the emperor has no notify socket at all (no native helper, or one too old).
 */
export function readinessRefusal(spec: VassalSpec | null, unavailable: string | null): string | null {
  if (spec === null || unavailable === null || !readinessOf(spec).notify) return null;
  return `${spec.file}:${spec.lines['notify'] ?? 1}: \`notify\` needs the native helper to receive sd_notify messages with their sender's pid (Node cannot): ${unavailable}`;
}
