// The fixed table of supervisord's XML-RPC methods: a name is looked up here, never resolved on an object (CVE-2017-11610).
import type { Fleet } from './fleet.ts';
import { namespec, processInfo } from './process-view.ts';
import { actOnMany, lookup, signalOne, startOne, stopOne } from './rpc-actions.ts';
import { Faults, RpcFault } from './rpc-faults.ts';
import { clearLogs, readLog, tailLog } from './rpc-logs.ts';
import type { RpcValue } from './xmlrpc-codec.ts';

/** One method: its signature (return type first), its help, and what it does. */
export interface RpcMethod {
  signature: string[];
  help: string;
  call(fleet: Fleet, params: RpcValue[]): RpcValue | Promise<RpcValue>;
}

/** The interface version supervisorctl checks. */
export const API_VERSION = '3.0';

const str = (params: RpcValue[], i: number): string => {
  const v = params[i];
  if (typeof v !== 'string') throw new RpcFault('INCORRECT_PARAMETERS', `parameter ${i + 1} must be a string`);
  return v;
};
const int = (params: RpcValue[], i: number): number => {
  const v = params[i];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new RpcFault('INCORRECT_PARAMETERS', `parameter ${i + 1} must be an integer`);
  return v;
};
const flag = (params: RpcValue[], i: number): boolean => (params[i] === undefined ? true : params[i] === true || params[i] === 1);
const now = (): number => Date.now() / 1000;

const MAIN_LOG = 'emperor has no main log file: it writes its events to its standard output; read them with `journalctl -u emperor`';
const NO_SHUTDOWN = 'emperor is not stopped or restarted through this interface: use `systemctl stop emperor` (or SIGTERM); `systemctl reload emperor` (SIGHUP) rescans the vassal directory';

function processOnly(fleet: Fleet, name: string): ReturnType<typeof lookup>['group'][number] {
  const { process } = lookup(fleet, name);
  if (process === null) throw new RpcFault('BAD_NAME', name);
  return process;
}

function configInfo(fleet: Fleet): RpcValue[] {
  return fleet.processes().map((p) => {
    const spec = fleet.spec(p.group);
    return {
      autostart: spec?.autostart ?? false,
      command: spec === null ? '' : spec.command.join(' '),
      directory: spec?.directory ?? '',
      exitcodes: spec?.exitCodes ?? [0],
      group: p.group,
      group_prio: 999,
      inuse: true,
      name: p.name,
      process_prio: 999,
      startretries: spec?.startRetries ?? 0,
      startsecs: Math.round((spec?.startSecs ?? 0) / 1000),
      stderr_logfile: p.stderrLog,
      stdout_logfile: p.stdoutLog,
      stopsignal: (spec?.stopSignal ?? 'SIGTERM').replace(/^SIG/, ''),
      stopwaitsecs: Math.round((spec?.stopTimeout ?? 0) / 1000),
    };
  });
}

const m = (signature: string[], help: string, call: RpcMethod['call']): RpcMethod => ({ signature, help, call });

/** supervisor.* as supervisord 4 publishes them. */
export const SUPERVISOR_METHODS: ReadonlyMap<string, RpcMethod> = new Map([
  ['supervisor.getAPIVersion', m(['string'], 'Return the version of the RPC API used by supervisord', () => API_VERSION)],
  ['supervisor.getVersion', m(['string'], 'Return the version of the RPC API used by supervisord (deprecated: getAPIVersion)', () => API_VERSION)],
  ['supervisor.getSupervisorVersion', m(['string'], 'Return the version of emperor, which serves this interface', (f) => f.version)],
  ['supervisor.getIdentification', m(['string'], 'Return identifying string of supervisord', () => 'supervisor')],
  ['supervisor.getState', m(['struct'], 'Return current state of supervisord as a struct', () => ({ statecode: 1, statename: 'RUNNING' }))],
  ['supervisor.getPID', m(['int'], 'Return the PID of supervisord (here: of emperor)', (f) => f.pid)],
  ['supervisor.readLog', m(['string', 'int', 'int'], 'Read length bytes from name starting at offset (emperor: no main log file)', () => { throw new RpcFault('NO_FILE', MAIN_LOG); })],
  ['supervisor.readMainLog', m(['string', 'int', 'int'], 'Read length bytes from name starting at offset (emperor: no main log file)', () => { throw new RpcFault('NO_FILE', MAIN_LOG); })],
  ['supervisor.clearLog', m(['boolean'], 'Clear the main log (emperor: no main log file)', () => { throw new RpcFault('NO_FILE', MAIN_LOG); })],
  ['supervisor.shutdown', m(['boolean'], 'Shut down the supervisor process (refused by emperor)', () => { throw new RpcFault('FAILED', NO_SHUTDOWN); })],
  ['supervisor.restart', m(['boolean'], 'Restart the supervisor process (refused by emperor)', () => { throw new RpcFault('FAILED', NO_SHUTDOWN); })],
  ['supervisor.reloadConfig', m(['array'], 'Reload the configuration: emperor rescans its vassal directory and applies every change itself, so nothing is left pending', (f) => {
    f.rescan();
    return [[[], [], []]];
  })],
  ['supervisor.addProcessGroup', m(['boolean', 'string'], 'Update the config for a running process from config file (emperor: already applied)', (f, p) => {
    const name = str(p, 0);
    if (!f.processes().some((q) => q.group === name)) throw new RpcFault('BAD_NAME', name);
    return true;
  })],
  ['supervisor.removeProcessGroup', m(['boolean', 'string'], 'Remove a stopped process from the active configuration (emperor: remove its file instead)', (f, p) => {
    const name = str(p, 0);
    const group = f.processes().filter((q) => q.group === name);
    if (group.length === 0) throw new RpcFault('BAD_NAME', name);
    throw new RpcFault('STILL_RUNNING', `${name}: emperor runs what its vassal directory holds; remove or rename the vassal's file to remove it`);
  })],
  ['supervisor.getAllConfigInfo', m(['array'], 'Get info about all available process configurations', (f) => configInfo(f))],
  ['supervisor.getProcessInfo', m(['struct', 'string'], 'Get info about a process named name', (f, p) => processInfo(processOnly(f, str(p, 0)), now()))],
  ['supervisor.getAllProcessInfo', m(['array'], 'Get info about all processes', (f) => f.processes().map((q) => processInfo(q, now())))],
  ['supervisor.startProcess', m(['boolean', 'string', 'boolean'], 'Start a process', (f, p) => {
    const { group, process } = lookup(f, str(p, 0));
    return process === null ? actOnMany(f, group, 'start', flag(p, 1)) : startOne(f, process, flag(p, 1));
  })],
  ['supervisor.startProcessGroup', m(['array', 'string', 'boolean'], "Start all processes in the group named 'name'", (f, p) => actOnMany(f, lookup(f, `${str(p, 0)}:*`).group, 'start', flag(p, 1)))],
  ['supervisor.startAllProcesses', m(['array', 'boolean'], 'Start all processes listed in the configuration file', (f, p) => actOnMany(f, f.processes(), 'start', flag(p, 0), true))],
  ['supervisor.stopProcess', m(['boolean', 'string', 'boolean'], 'Stop a process named by name', (f, p) => {
    const { group, process } = lookup(f, str(p, 0));
    return process === null ? actOnMany(f, group, 'stop', flag(p, 1)) : stopOne(f, process, flag(p, 1));
  })],
  ['supervisor.stopProcessGroup', m(['array', 'string', 'boolean'], "Stop all processes in the process group named 'name'", (f, p) => actOnMany(f, lookup(f, `${str(p, 0)}:*`).group, 'stop', flag(p, 1)))],
  ['supervisor.stopAllProcesses', m(['array', 'boolean'], 'Stop all processes in the process list', (f, p) => actOnMany(f, f.processes(), 'stop', flag(p, 0), true))],
  ['supervisor.signalProcess', m(['boolean', 'string', 'string'], 'Send an arbitrary UNIX signal to the process named by name', (f, p) => {
    const { group, process } = lookup(f, str(p, 0));
    return process === null ? actOnMany(f, group, { signal: str(p, 1) }, false) : signalOne(f, process, str(p, 1));
  })],
  ['supervisor.signalProcessGroup', m(['array', 'string', 'string'], "Send a signal to all processes in the group named 'name'", (f, p) => actOnMany(f, lookup(f, `${str(p, 0)}:*`).group, { signal: str(p, 1) }, false))],
  ['supervisor.signalAllProcesses', m(['array', 'string'], 'Send a signal to all processes in the process list', (f, p) => actOnMany(f, f.processes(), { signal: str(p, 0) }, false, true))],
  ['supervisor.readProcessLog', m(['string', 'string', 'int', 'int'], "Read length bytes from name's stdout log starting at offset", (f, p) => readLog(f, str(p, 0), int(p, 1), int(p, 2), 'stdout'))],
  ['supervisor.readProcessStdoutLog', m(['string', 'string', 'int', 'int'], "Read length bytes from name's stdout log starting at offset", (f, p) => readLog(f, str(p, 0), int(p, 1), int(p, 2), 'stdout'))],
  ['supervisor.readProcessStderrLog', m(['string', 'string', 'int', 'int'], "Read length bytes from name's stderr log starting at offset", (f, p) => readLog(f, str(p, 0), int(p, 1), int(p, 2), 'stderr'))],
  ['supervisor.tailProcessLog', m(['array', 'string', 'int', 'int'], "Provides a more efficient way to tail the (stdout) log than readProcessStdoutLog", (f, p) => tailLog(f, str(p, 0), int(p, 1), int(p, 2), 'stdout'))],
  ['supervisor.tailProcessStdoutLog', m(['array', 'string', 'int', 'int'], 'Provides a more efficient way to tail the (stdout) log than readProcessStdoutLog', (f, p) => tailLog(f, str(p, 0), int(p, 1), int(p, 2), 'stdout'))],
  ['supervisor.tailProcessStderrLog', m(['array', 'string', 'int', 'int'], 'Provides a more efficient way to tail the (stderr) log than readProcessStderrLog', (f, p) => tailLog(f, str(p, 0), int(p, 1), int(p, 2), 'stderr'))],
  ['supervisor.clearProcessLog', m(['boolean', 'string'], 'Clear the stdout and stderr logs for the named process and reopen them', (f, p) => clearLogs(f, str(p, 0)))],
  ['supervisor.clearProcessLogs', m(['boolean', 'string'], 'Clear the stdout and stderr logs for the named process and reopen them', (f, p) => clearLogs(f, str(p, 0)))],
  ['supervisor.clearAllProcessLogs', m(['array'], 'Clear all process log files', (f) => f.processes().map((q) => {
    try {
      clearLogs(f, namespec(q));
      return { name: q.name, group: q.group, status: Faults.SUCCESS, description: 'OK' };
    } catch (err) {
      const fault = err instanceof RpcFault ? err : new RpcFault('FAILED', namespec(q));
      return { name: q.name, group: q.group, status: fault.code, description: fault.message };
    }
  }))],
  ['supervisor.sendProcessStdin', m(['boolean', 'string', 'string'], 'Send a string of chars to the stdin of the process name (not supported by emperor)', () => {
    throw new RpcFault('FAILED', 'emperor gives its vassals no stdin pipe (their stdin is /dev/null), so there is nothing to send to; have the program read a socket or a file instead');
  })],
  ['supervisor.sendRemoteCommEvent', m(['boolean', 'string', 'string'], 'Send an event that will be received by event listener subprocesses (not supported by emperor)', () => {
    throw new RpcFault('FAILED', 'emperor does not relay REMOTE_COMMUNICATION events');
  })],
]);
