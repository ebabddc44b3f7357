// start/stop/signal of one process, a group or all, with supervisord's faults, results and waiting.
import { constants } from 'node:os';
import type { Fleet } from './fleet.ts';
import { namespec, RUNNING_STATES, SIGNALLABLE_STATES, splitNamespec, STOPPED_STATES, type ProcessView } from './process-view.ts';
import { Faults, RpcFault } from './rpc-faults.ts';

/** How often a waiting call looks at the fleet again. */
const POLL_MS = 50;
/** A start that has not reached RUNNING (nor failed) by then is answered with FAILED. */
const START_WAIT_MS = 120_000;

/** One entry of a group call's answer. */
export type ProcessResult = {
  name: string;
  group: string;
  status: number;
  description: string;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The process (or the group, process null) a namespec names; BAD_NAME when there is none. */
export function lookup(fleet: Fleet, spec: string): { group: ProcessView[]; process: ProcessView | null } {
  const [groupName, procName] = splitNamespec(spec);
  const group = fleet.processes().filter((p) => p.group === groupName);
  if (group.length === 0) throw new RpcFault('BAD_NAME', spec);
  if (procName === null) return { group, process: null };
  const process = group.find((p) => p.name === procName);
  if (process === undefined) throw new RpcFault('BAD_NAME', spec);
  return { group, process };
}

function current(fleet: Fleet, p: ProcessView): ProcessView | undefined {
  return fleet.processes().find((q) => q.group === p.group && q.index === p.index);
}

async function waitStarted(fleet: Fleet, p: ProcessView): Promise<void> {
  const deadline = Date.now() + START_WAIT_MS;
  let seen = false;
  for (;;) {
    const now = current(fleet, p);
    if (now === undefined) throw new RpcFault('ABNORMAL_TERMINATION', namespec(p));
    if (now.state === 'RUNNING') return;
    if (now.state === 'STARTING' || now.start !== p.start) seen = true;
    // A start that failed is SPAWN_ERROR (supervisord's spawnerr); one that ended otherwise, ABNORMAL_TERMINATION.
    if (seen && (now.state === 'BACKOFF' || now.state === 'FATAL')) throw new RpcFault('SPAWN_ERROR', namespec(p));
    if (seen && now.state !== 'STARTING') throw new RpcFault('ABNORMAL_TERMINATION', namespec(p));
    if (Date.now() > deadline) throw new RpcFault('FAILED', `${namespec(p)} is not RUNNING after ${START_WAIT_MS / 1000}s (state ${now.state})`);
    await sleep(POLL_MS);
  }
}

async function waitStopped(fleet: Fleet, p: ProcessView): Promise<void> {
  const spec = fleet.spec(p.group);
  const deadline = Date.now() + (spec?.stopTimeout ?? 10_000) + 30_000;
  for (;;) {
    const now = current(fleet, p);
    if (now === undefined || STOPPED_STATES.has(now.state)) return;
    if (Date.now() > deadline) throw new RpcFault('FAILED', `${namespec(p)} is still ${now.state}`);
    await sleep(POLL_MS);
  }
}

/** startProcess: a vassal's instances start together, so starting one starts its stopped siblings too. */
export async function startOne(fleet: Fleet, p: ProcessView, wait: boolean): Promise<true> {
  if (RUNNING_STATES.has(p.state)) throw new RpcFault('ALREADY_STARTED', namespec(p));
  if (p.listener === true) throw listenerFault(p);
  const message = await fleet.act('start', p.group);
  if (message.startsWith('not ')) throw new RpcFault('SPAWN_ERROR', `${namespec(p)}: ${message}`);
  if (wait) await waitStarted(fleet, p);
  return true;
}

/** stopProcess; one instance of a several-instance vassal cannot be stopped alone. */
export async function stopOne(fleet: Fleet, p: ProcessView, wait: boolean): Promise<true> {
  if (!RUNNING_STATES.has(p.state)) throw new RpcFault('NOT_RUNNING', namespec(p));
  if (p.listener === true) throw listenerFault(p);
  if (p.shared) throw together('stops', 'stop', p);
  const message = await fleet.act('stop', p.group);
  if (message.startsWith('not ') || message.startsWith('nothing')) throw new RpcFault('FAILED', `${namespec(p)}: ${message}`);
  if (wait) await waitStopped(fleet, p);
  return true;
}

function listenerFault(p: ProcessView): RpcFault {
  return new RpcFault('FAILED', `${namespec(p)} is an event listener: it runs while its [eventlistener:${p.group}] section is in its file (and is restarted if it dies); edit or remove the section instead`);
}

function together(verb: string, cmd: string, p: ProcessView): RpcFault {
  return new RpcFault('FAILED', `emperor ${verb} the instances of vassal ${p.group} together; use \`${cmd} ${p.group}:*\``);
}

/** A signal name or number as supervisord's signal_number takes it, as a Node signal name; BAD_SIGNAL otherwise. */
export function signalName(text: string): string {
  const t = text.trim().toUpperCase();
  if (/^\d+$/.test(t)) {
    const found = Object.entries(constants.signals).find(([, n]) => n === Number(t));
    if (found !== undefined) return found[0];
  } else {
    const name = t.startsWith('SIG') ? t : `SIG${t}`;
    if (name in constants.signals) return name;
  }
  throw new RpcFault('BAD_SIGNAL', text);
}

/** signalProcess. */
export async function signalOne(fleet: Fleet, p: ProcessView, signal: string): Promise<true> {
  const name = signalName(signal);
  if (!SIGNALLABLE_STATES.has(p.state)) throw new RpcFault('NOT_RUNNING', namespec(p));
  if (p.listener === true) throw listenerFault(p);
  if (p.shared) throw together('signals', `signal ${signal}`, p);
  const res = await fleet.command({ v: 1, cmd: 'signal', signal: name, names: [p.group] });
  if ('ok' in res && !res.ok) throw new RpcFault('FAILED', res.error.message);
  return true;
}

const ok = (p: ProcessView): ProcessResult => ({ name: p.name, group: p.group, status: Faults.SUCCESS, description: 'OK' });
const failed = (p: ProcessView, err: unknown): ProcessResult => {
  if (!(err instanceof RpcFault)) throw err;
  return { name: p.name, group: p.group, status: err.code, description: err.message };
};

/** A group or all-process call: the processes that qualify, acted on per vassal, each answered. */
export async function actOnMany(fleet: Fleet, procs: ProcessView[], what: 'start' | 'stop' | { signal: string }, wait: boolean, all = false): Promise<ProcessResult[]> {
  const results: ProcessResult[] = [];
  if (typeof what === 'object') signalName(what.signal);
  const byGroup = new Map<string, ProcessView[]>();
  for (const p of procs) {
    if (p.listener === true) {
      if (!all && (what === 'start' ? !RUNNING_STATES.has(p.state) : true)) results.push(failed(p, listenerFault(p)));
      continue;
    }
    const qualifies = what === 'start' ? !RUNNING_STATES.has(p.state) : what === 'stop' ? RUNNING_STATES.has(p.state) : SIGNALLABLE_STATES.has(p.state);
    if (qualifies) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), p]);
  }
  await Promise.all(
    [...byGroup.values()].map(async (group) => {
      const first = group[0] as ProcessView;
      try {
        if (what === 'start') {
          const message = await fleet.act('start', first.group);
          if (message.startsWith('not ')) throw new RpcFault('SPAWN_ERROR', `${first.group}: ${message}`);
        } else if (what === 'stop') {
          await fleet.act('stop', first.group);
        } else {
          const res = await fleet.command({ v: 1, cmd: 'signal', signal: signalName(what.signal), names: [first.group] });
          if ('ok' in res && !res.ok) throw new RpcFault('FAILED', res.error.message);
        }
      } catch (err) {
        for (const p of group) results.push(failed(p, err));
        return;
      }
      await Promise.all(
        group.map(async (p) => {
          try {
            if (wait && what === 'start') await waitStarted(fleet, p);
            if (wait && what === 'stop') await waitStopped(fleet, p);
            results.push(ok(p));
          } catch (err) {
            results.push(failed(p, err));
          }
        }),
      );
    }),
  );
  const order = new Map(procs.map((p, i) => [`${p.group}\0${p.name}`, i]));
  return results.sort((a, b) => (order.get(`${a.group}\0${a.name}`) ?? 0) - (order.get(`${b.group}\0${b.name}`) ?? 0));
}
