// The vassal machine's table inputs: one representative situation per phase, and every event.
import { initialVassal, type VassalEffect, type VassalEvent, type VassalState } from '../../src/core/vassal-machine.ts';
import { initialInstance, type Instance } from '../../src/core/lifecycle.ts';
import type { InstanceStateName } from '../../src/core/states.ts';
import type { VassalSpec } from '../../src/config/spec.ts';
import { makeSpec } from './make-spec.ts';

/** A vassal state, the lifecycle state of each of its instances by id, and the spec of now. */
export interface Situation {
  st: VassalState;
  views: Record<number, Partial<Instance> & { state: InstanceStateName }>;
  spec: VassalSpec;
}

const TCP_8000 = { kind: 'tcp', host: '127.0.0.1', port: 8000 } as const;
/** Two instances, no socket: rolls restart in place. */
export const PLAIN = makeSpec({ instances: 2 });
/** Two instances sharing a socket: rolls start each replacement first. */
export const SOCKETED = makeSpec({ instances: 2, socket: TCP_8000 });

const st = (fields: Partial<VassalState>): VassalState => ({ ...initialVassal(), slots: [0, 1], nextId: 2, ...fields });
const running = { state: 'RUNNING', pid: 100, startSecsDone: true } as const;
const running1 = { state: 'RUNNING', pid: 101, startSecsDone: true } as const;
const stopped = { state: 'STOPPED' } as const;

/** The situations: the phases a vassal goes through, and the sub-cases the git history fixed. */
export const SITUATIONS = {
  'never started': { st: st({}), views: { 0: stopped, 1: stopped }, spec: PLAIN },
  'held stop (emperorctl stop), stopping': { st: st({ awaitingQuiet: true }), views: { 0: { state: 'STOPPING', pid: 100 }, 1: stopped }, spec: PLAIN },
  'waiting for db': { st: st({ intent: 'run', waitingFor: ['db'] }), views: { 0: stopped, 1: stopped }, spec: PLAIN },
  running: { st: st({ intent: 'run' }), views: { 0: running, 1: running1 }, spec: PLAIN },
  'running, one past start-secs waiting for health': { st: st({ intent: 'run' }), views: { 0: running, 1: { state: 'STARTING', pid: 101, startSecsDone: true } }, spec: PLAIN },
  FATAL: { st: st({ intent: 'run' }), views: { 0: { state: 'FATAL', error: 'exited with code 1 0.1s after start' }, 1: { state: 'FATAL' } }, spec: PLAIN },
  'rolling in place, instance 0 restarting': {
    st: st({ intent: 'run', roll: { queue: [1], current: 0, surge: false } }), views: { 0: { state: 'STOPPING', pid: 100 }, 1: running1 }, spec: PLAIN,
  },
  'rolling with socket, replacement starting': {
    st: st({ intent: 'run', roll: { queue: [1], current: 0, surge: true }, replacement: { index: 0, id: 2, boundMs: 2000 }, surplus: [2], nextId: 3 }),
    views: { 0: running, 1: running1, 2: { state: 'STARTING', pid: 102 } }, spec: SOCKETED,
  },
  'rolling with socket, replacement now RUNNING': {
    st: st({ intent: 'run', roll: { queue: [1], current: 0, surge: true }, replacement: { index: 0, id: 2, boundMs: 2000 }, surplus: [2], nextId: 3 }),
    views: { 0: running, 1: running1, 2: { state: 'RUNNING', pid: 102 } }, spec: SOCKETED,
  },
  'rolling with socket, replacement RUNNING, the old one already exited': {
    st: st({ intent: 'run', roll: { queue: [1], current: 0, surge: true }, replacement: { index: 0, id: 2, boundMs: 2000 }, surplus: [2], nextId: 3 }),
    views: { 0: { state: 'EXITED' }, 1: running1, 2: { state: 'RUNNING', pid: 102 } }, spec: SOCKETED,
  },
  'rolling with socket, replacement crashed': {
    st: st({ intent: 'run', roll: { queue: [1], current: 0, surge: true }, replacement: { index: 0, id: 2, boundMs: 2000 }, surplus: [2], nextId: 3 }),
    views: { 0: running, 1: running1, 2: { state: 'BACKOFF', error: 'exited with code 1 0.2s after start' } }, spec: SOCKETED,
  },
  'rolling with socket, replaced process draining': {
    st: st({ intent: 'run', slots: [2, 1], retiring: [0], roll: { queue: [1], current: 0, surge: true }, draining: 0, surplus: [0], nextId: 3 }),
    views: { 0: { state: 'STOPPING', pid: 100 }, 1: running1, 2: { state: 'RUNNING', pid: 102 } }, spec: SOCKETED,
  },
  // Its own change is still queued behind another instance's: the roll goes on at the first change it sees.
  'rolling with socket, replaced process just exited': {
    st: st({ intent: 'run', slots: [2, 1], retiring: [0], roll: { queue: [1], current: 0, surge: true }, draining: 0, surplus: [0], nextId: 3 }),
    views: { 0: stopped, 1: running1, 2: { state: 'RUNNING', pid: 102 } }, spec: SOCKETED,
  },
  'same-port address change, stopping every instance': {
    st: st({ intent: 'run', startWhenQuiet: true }), views: { 0: { state: 'STOPPING', pid: 100 }, 1: stopped }, spec: SOCKETED,
  },
  'fewer instances, one retiring': { st: st({ intent: 'run', slots: [0], retiring: [1] }), views: { 0: running, 1: { state: 'STOPPING', pid: 101 } }, spec: makeSpec({ instances: 1 }) },
  'removed, stopping': { st: st({ intent: 'retired', awaitingQuiet: true }), views: { 0: { state: 'STOPPING', pid: 100 }, 1: stopped }, spec: PLAIN },
} satisfies Record<string, Situation>;

/** A situation's name. */
export type SituationName = keyof typeof SITUATIONS;

/** The process beside the instances (a replacement, a draining or retiring one), or the first instance. */
const other = (s: VassalState): number => s.replacement?.id ?? s.draining ?? s.retiring[0] ?? s.slots[0] ?? 0;

/** Every event; some name an instance of the situation, and some come with a changed spec. */
export const EVENTS = {
  resize: { ev: () => ({ type: 'resize' }) },
  'resize to 3': { ev: () => ({ type: 'resize' }), spec: (s) => ({ ...s, instances: 3 }) },
  start: { ev: () => ({ type: 'start' }) },
  'dependencies: all RUNNING': { ev: () => ({ type: 'dependencies', missing: [] }) },
  'dependencies: db missing': { ev: () => ({ type: 'dependencies', missing: ['db'] }) },
  stop: { ev: () => ({ type: 'stop', retire: false }) },
  'stop (removal)': { ev: () => ({ type: 'stop', retire: true }) },
  retire: { ev: () => ({ type: 'retire' }) },
  restart: { ev: () => ({ type: 'restart' }) },
  'change: restart': { ev: (s) => ({ type: 'change', kind: 'restart', first: false, formerSocket: s.socket }), spec: (s) => ({ ...s, command: ['/usr/bin/node', 'v2.js'] }) },
  'change: touch': { ev: (s) => ({ type: 'change', kind: 'touch', first: false, formerSocket: s.socket }) },
  'change: touch with reload-signal': { ev: (s) => ({ type: 'change', kind: 'touch', first: false, formerSocket: s.socket }), spec: (s) => ({ ...s, reloadSignal: 'SIGHUP' }) },
  'change: supervision only': { ev: (s) => ({ type: 'change', kind: 'supervision', first: false, formerSocket: s.socket }), spec: (s) => ({ ...s, stopTimeout: 5000 }) },
  'change: socket to 0.0.0.0 on the same port': { ev: () => ({ type: 'change', kind: 'restart', first: false, formerSocket: TCP_8000 }), spec: (s) => ({ ...s, socket: { kind: 'tcp', host: '0.0.0.0', port: 8000 } }) },
  'change: the first usable file': { ev: () => ({ type: 'change', kind: 'restart', first: true, formerSocket: null }) },
  'instance-changed: first instance': { ev: (_sp, s) => ({ type: 'instance-changed', id: s.slots[0] ?? 0 }) },
  'instance-changed: the process beside': { ev: (_sp, s) => ({ type: 'instance-changed', id: other(s) }) },
  'roll-deadline': { ev: (_sp, s) => ({ type: 'roll-deadline', id: other(s) }) },
  'await-quiet': { ev: () => ({ type: 'await-quiet' }) },
  release: { ev: () => ({ type: 'release' }) },
  dispose: { ev: () => ({ type: 'dispose' }) },
} satisfies Record<string, { ev: (spec: VassalSpec, st: VassalState) => VassalEvent; spec?: (s: VassalSpec) => VassalSpec }>;

/** An event's name. */
export type EventName = keyof typeof EVENTS;

/** The instances' states as the machine's context reads them. */
export function viewsOf(s: Situation): Map<number, Instance> {
  return new Map(Object.entries(s.views).map(([id, v]) => [Number(id), { ...initialInstance(), ...v }]));
}

/** An effect in a line, as the table writes it. */
export function showEffect(e: VassalEffect): string {
  switch (e.type) {
    case 'create': return `create #${e.id} as [${e.index}]`;
    case 'dispatch': return `#${e.id} ${e.event.type}${e.event.type === 'timer' ? ` ${e.event.timer}` : ''}`;
    case 'signal': return `#${e.id} signal ${e.signal}`;
    case 'inherit': return `#${e.id} inherits #${e.from}`;
    case 'adopt-spec': return `#${e.id} adopts the spec`;
    case 'dispose': return `dispose #${e.id}`;
    case 'release': return `release #${e.id}`;
    case 'check-dependencies': return 'check dependencies';
    case 'set-timer': return `deadline #${e.id} in ${e.ms}ms`;
    case 'clear-timer': return 'clear deadline';
    case 'quiet': return 'quiet';
    case 'report': return 'report';
    case 'event': return `${e.line.level}${e.line.instance === undefined ? '' : ` [${e.line.instance}]`}: ${e.line.message}`;
  }
}
