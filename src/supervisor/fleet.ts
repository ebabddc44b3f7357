// What supervisord's interface needs from the emperor, in one place: the snapshot, the control commands, the event feed.
import type { ActionResult, ControlRequest, ControlResponse, StatsDocument } from '../control/protocol.ts';
import type { ControlConnection } from '../control/control-server.ts';
import type { VassalSpec } from '../config/spec.ts';
import { runCommand, type CommandTarget } from '../runtime/commands.ts';
import type { Clock } from '../runtime/clock.ts';
import type { LiveEvent } from '../runtime/event-log.ts';
import { resolveLogPath } from '../runtime/spawn-plan.ts';
import { processViews, withListeners, type InstanceExtra, type ListenerView, type ProcessView } from './process-view.ts';

/** The emperor as the supervisord interface sees it; everything it touches goes through here. */
export interface Fleet {
  snapshot(): StatsDocument;
  processes(): ProcessView[];
  spec(vassal: string): VassalSpec | null;
  /** runs one control command; a refusal comes back as `{ ok: false }`. */
  command(req: ControlRequest): Promise<ControlResponse>;
  /** the message the command gave the vassal, or the refusal. */
  act(cmd: 'start' | 'stop', vassal: string): Promise<string>;
  /** the vassal's in-memory output (for one without log files). */
  memoryTail(vassal: string, lines: number): string[];
  followMemory(vassal: string, fn: (line: string) => void): () => void;
  subscribe(fn: (ev: LiveEvent) => void): () => void;
  rescan(): void;
  pid: number;
  version: string;
  /** the log directory relative log paths are resolved against. */
  logDir: string;
}

// A connection for commands that never follow: replies come back as the return value.
const silent: ControlConnection = { send: () => {}, onClose: () => {}, keepOpen: () => {}, backlog: () => 0, end: () => {} };

/** Builds the Fleet over the control commands' target, the event feed and the clock. */
export function fleetOf(target: CommandTarget, subscribe: Fleet['subscribe'], clock: Clock, listeners: () => ListenerView[] = () => []): Fleet {
  const extra = (name: string, index: number): InstanceExtra => {
    const v = target.vassals.get(name);
    const r = v?.instances[index];
    const spec = v?.spec ?? null;
    const exit = r?.state.lastExit ?? null;
    const path = (p: string | null): string | null => (p === null ? null : resolveLogPath(p, index, target.logDir));
    return {
      error: r?.state.error ?? null,
      lastExit: exit === null ? null : { code: exit.code, at: clock.unixSeconds(exit.at) },
      stdoutLog: spec === null ? null : path(spec.stdoutLog ?? spec.log),
      stderrLog: spec === null ? null : path(spec.stderrLog),
      processName: spec?.instanceNames[index] ?? null,
    };
  };
  const doc = (): StatsDocument => target.snapshot();
  return {
    snapshot: doc,
    processes: () => withListeners(processViews(doc(), extra), listeners()),
    spec: (name) => target.vassals.get(name)?.spec ?? null,
    command: (req) => runCommand(target, req, silent),
    act: async (cmd, name) => {
      const res = await runCommand(target, { v: 1, cmd, names: [name] }, silent);
      if ('ok' in res && res.ok) return (res.result as ActionResult).done[0]?.message ?? '';
      return 'ok' in res && !res.ok ? `not done: ${res.error.message}` : '';
    },
    memoryTail: (name, lines) => target.vassals.get(name)?.output.tail(lines) ?? [],
    followMemory: (name, fn) => target.vassals.get(name)?.output.follow(fn) ?? (() => {}),
    subscribe,
    rescan: () => target.rescan(),
    pid: process.pid,
    version: doc().version,
    logDir: target.logDir,
  };
}
