// What each control request does to the fleet (SPEC section 8); replies are built here, sent by the server.
import { constants } from 'node:os';
import { PROTOCOL_VERSION, type ActionResult, type ControlRequest, type ControlResponse, type LogsResult, type StatsDocument, type StreamEvent } from '../control/protocol.ts';
import type { ControlConnection } from '../control/control-server.ts';
import { followEvents, type EventFeed } from '../control/event-stream.ts';
import { hasProcess } from '../core/states.ts';
import { resolveLogPath } from './spawn-plan.ts';
import type { Vassal } from './vassal.ts';

/** Bytes queued for a `logs -f` reader before its lines are dropped. */
export const FOLLOW_BACKLOG_BYTES = 1024 * 1024;

/** What the commands need from the emperor. */
export interface CommandTarget {
  vassals: ReadonlyMap<string, Vassal>;
  logDir: string;
  snapshot(): StatsDocument;
  rescan(): void;
  /** starts a vassal through the dependency gate. */
  start(v: Vassal): void;
  /** the recent and live events, for `events`. */
  events?: EventFeed;
}

const ok = (result: unknown): ControlResponse => ({ v: PROTOCOL_VERSION, ok: true, result });
const refuse = (code: 'unknown-vassal' | 'refused' | 'bad-request', message: string): ControlResponse => ({
  v: PROTOCOL_VERSION,
  ok: false,
  error: { code, message },
});

function pick(target: CommandTarget, names: string[], all: boolean): Vassal[] | ControlResponse {
  if (all) return [...target.vassals.values()];
  const unknown = names.filter((n) => !target.vassals.has(n));
  if (unknown.length > 0) {
    const known = [...target.vassals.keys()].sort();
    return refuse('unknown-vassal', `no vassal named ${unknown.join(', ')}${known.length > 0 ? ` (known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''})` : ' (none are loaded)'}`);
  }
  return names.map((n) => target.vassals.get(n) as Vassal);
}

function act(target: CommandTarget, cmd: 'start' | 'stop' | 'restart' | 'reload', v: Vassal): string {
  if (v.retired) return cmd === 'stop' ? 'already stopping: its file was removed (or the emperor is shutting down)' : `not ${cmd === 'start' ? 'started' : cmd === 'restart' ? 'restarted' : 'reloaded'}: its file was removed (or the emperor is shutting down)`;
  if (v.spec === null) {
    if (cmd === 'stop') return 'nothing to stop: its file has never been valid';
    const done = { start: 'started', restart: 'restarted', reload: 'reloaded' }[cmd];
    return `not ${done}: its file is invalid: ${(v.error ?? '').split('\n')[0]} (emperorctl status ${v.name} shows every problem)`;
  }
  const live = v.instances.some((r) => hasProcess(r.state.state));
  switch (cmd) {
    case 'start':
      target.start(v);
      return v.waitingFor.length > 0 ? `waiting for ${v.waitingFor.join(', ')}` : 'starting';
    case 'stop':
      void v.stop();
      return 'stopping';
    case 'restart':
      if (!live) {
        target.start(v);
        return 'starting';
      }
      v.rollingRestart();
      return 'restarting';
    case 'reload':
      if (!live) return 'not running: nothing to reload';
      if (v.spec.reloadSignal !== null) {
        for (const r of v.instances) if (hasProcess(r.state.state)) r.signalProcess(v.spec.reloadSignal);
        return `sent ${v.spec.reloadSignal}`;
      }
      v.rollingRestart();
      return 'restarting (no reload-signal)';
  }
}

/** The log files of a vassal, as absolute paths (instance 0 for per-instance names). */
export function logFiles(v: Vassal, logDir: string): string[] {
  const spec = v.spec;
  if (spec === null) return [];
  const paths = spec.log !== null ? [spec.log] : [spec.stdoutLog, spec.stderrLog].filter((p): p is string => p !== null);
  return [...new Set(paths.map((p) => resolveLogPath(p, 0, logDir)))];
}

/** Carries out one request. */
export async function runCommand(target: CommandTarget, req: ControlRequest, conn: ControlConnection): Promise<ControlResponse> {
  switch (req.cmd) {
    case 'status':
      return ok(target.snapshot());
    case 'rescan':
      target.rescan();
      return ok({ done: [] });
    case 'start':
    case 'stop':
    case 'restart':
    case 'reload': {
      const chosen = pick(target, req.names, req.all === true);
      if (!Array.isArray(chosen)) return chosen;
      const result: ActionResult = { done: chosen.map((v) => ({ name: v.name, message: act(target, req.cmd, v) })) };
      return ok(result);
    }
    case 'signal': {
      const signal = req.signal.toUpperCase().startsWith('SIG') ? req.signal.toUpperCase() : `SIG${req.signal.toUpperCase()}`;
      const byNumber = /^\d+$/.test(req.signal) ? Object.entries(constants.signals).find(([, n]) => n === Number(req.signal))?.[0] : undefined;
      const name = byNumber ?? signal;
      if (!(name in constants.signals)) return refuse('bad-request', `unknown signal ${req.signal}; use a name such as HUP, USR1 or TERM`);
      const chosen = pick(target, req.names, false);
      if (!Array.isArray(chosen)) return chosen;
      const done = chosen.map((v) => {
        const sent = v.instances.filter((r) => r.signalProcess(name)).length;
        return { name: v.name, message: sent > 0 ? `sent ${name} to ${sent} process${sent === 1 ? '' : 'es'}` : 'no running process' };
      });
      return ok({ done } satisfies ActionResult);
    }
    case 'events': {
      if (target.events === undefined) return refuse('refused', 'this emperor keeps no event stream');
      const chosen = pick(target, req.names, req.names.length === 0);
      if (!Array.isArray(chosen)) return chosen;
      conn.keepOpen();
      const sink = {
        send: (event: StreamEvent) => conn.send({ v: PROTOCOL_VERSION, event }),
        backlog: () => conn.backlog(),
        drop: (note: string) => {
          conn.send({ v: PROTOCOL_VERSION, line: `[emperor: ${note}]` });
          conn.end();
        },
        onClose: (fn: () => void) => conn.onClose(fn),
      };
      followEvents(target.events, sink, new Set(req.names), req.since_ms === undefined ? null : Date.now() - req.since_ms);
      return ok({ following: chosen.map((v) => v.name) });
    }
    case 'logs': {
      const v = target.vassals.get(req.name);
      if (v === undefined) return refuse('unknown-vassal', `no vassal named ${req.name}`);
      const files = logFiles(v, target.logDir);
      const result: LogsResult = { files, lines: files.length > 0 ? [] : v.output.tail(req.lines) };
      if (req.follow === true && files.length === 0) {
        conn.keepOpen();
        let dropped = 0;
        const stop = v.output.follow((line) => {
          // A reader that does not keep up loses lines, never the emperor's memory.
          if (conn.backlog() > FOLLOW_BACKLOG_BYTES) {
            dropped++;
            return;
          }
          if (dropped > 0) {
            conn.send({ v: PROTOCOL_VERSION, line: `[emperor: ${dropped} lines dropped: this reader was too slow]` });
            dropped = 0;
          }
          conn.send({ v: PROTOCOL_VERSION, line });
        });
        conn.onClose(stop);
      }
      return ok(result);
    }
  }
}
