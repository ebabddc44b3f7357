// [eventlistener:x]: a program (read as [program:x] is) whose stdin and stdout speak supervisord's listener protocol.
import type { IniEntry } from './ini-source.ts';
import { quote } from './problems.ts';
import type { VassalSpec } from './spec.ts';
import { closestWord } from './suggest.ts';
import { buildProgram, type FileScope } from './supervisord-program.ts';
import { LISTENER_KEYS, type ProgramSource, type Report } from './supervisord-sections.ts';
import { pyInteger } from './supervisord-values.ts';

/** One event listener pool: its processes are the program's instances. */
export interface ListenerSpec {
  name: string;
  /** how its processes are run: command, directory, environment, user, instances, stderr log... */
  process: VassalSpec;
  /** the event types it subscribed to, as written (abstract types such as PROCESS_STATE included). */
  events: string[];
  /** events kept for it while none of its processes is ready; the oldest is dropped beyond. */
  bufferSize: number;
}

/** Event types emperor sends (supervisord's names). */
export const SENT_EVENTS = [
  'EVENT',
  'PROCESS_STATE', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE_EXITED', 'PROCESS_STATE_STARTING', 'PROCESS_STATE_STOPPING',
  'PROCESS_STATE_BACKOFF', 'PROCESS_STATE_FATAL', 'PROCESS_STATE_RUNNING', 'PROCESS_STATE_UNKNOWN',
  'PROCESS_LOG', 'PROCESS_LOG_STDOUT', 'PROCESS_LOG_STDERR',
  'SUPERVISOR_STATE_CHANGE', 'SUPERVISOR_STATE_CHANGE_RUNNING', 'SUPERVISOR_STATE_CHANGE_STOPPING',
  'TICK', 'TICK_5', 'TICK_60', 'TICK_3600',
] as const;

/** supervisord event types emperor never sends: a subscription to them is accepted with a warning. */
const UNSENT_EVENTS = [
  'PROCESS_COMMUNICATION', 'PROCESS_COMMUNICATION_STDOUT', 'PROCESS_COMMUNICATION_STDERR',
  'REMOTE_COMMUNICATION', 'PROCESS_GROUP', 'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_REMOVED',
];

const DEFAULT_HANDLER = 'supervisor.dispatchers:default_handler';

/** Whether a listener subscribed to `types` receives an event of type `name` (abstract types match their children). */
export function subscribes(types: readonly string[], name: string): boolean {
  return types.some((t) => t === 'EVENT' || t === name || name.startsWith(`${t}_`));
}

/** Builds one listener; problems go to `fail` and `warn`. */
export function buildListener(src: ProgramSource, scope: FileScope, fail: Report, warn: Report): ListenerSpec {
  const own = new Map<string, IniEntry>();
  const entries = new Map(src.entries);
  for (const key of LISTENER_KEYS) {
    const e = entries.get(key);
    if (e !== undefined) own.set(key, e);
    entries.delete(key);
  }
  const redirect = entries.get('redirect_stderr');
  if (redirect !== undefined && /^(true|yes|on|1)$/i.test(redirect.value.trim())) {
    fail(redirect.line, '`redirect_stderr` cannot be true for an event listener: its stdout is the protocol; log its stderr with `stderr_logfile`');
  }
  entries.delete('redirect_stderr');
  const process = buildProgram({ ...src, entries }, scope, fail, warn);
  const events: string[] = [];
  const ev = own.get('events');
  if (ev === undefined) fail(src.line, `[eventlistener:${src.name}] needs \`events = ...\`, e.g. \`events = PROCESS_STATE\``);
  for (const word of (ev?.value ?? '').split(',').map((w) => w.trim()).filter((w) => w !== '')) {
    if ((SENT_EVENTS as readonly string[]).includes(word)) events.push(word);
    else if (UNSENT_EVENTS.includes(word)) warn(ev?.line ?? src.line, `\`events\`: emperor never sends ${word}; this listener will not receive it`);
    else {
      const near = closestWord(word, [...SENT_EVENTS, ...UNSENT_EVENTS]);
      fail(ev?.line ?? src.line, `\`events\`: unknown event type ${quote(word)}${near === null ? '' : `; did you mean \`${near}\`?`}`);
    }
  }
  let bufferSize = 10;
  const size = own.get('buffer_size');
  if (size !== undefined) {
    const r = pyInteger(size.value, { min: 1, max: 1_000_000 });
    if (r.ok) bufferSize = r.value;
    else fail(size.line, `\`buffer_size\`: ${r.message}`);
  }
  const handler = own.get('result_handler');
  if (handler !== undefined && handler.value.trim() !== DEFAULT_HANDLER) {
    fail(handler.line, `\`result_handler\`: emperor runs supervisord's default handler only; remove the line (or write \`${DEFAULT_HANDLER}\`)`);
  }
  return { name: src.name, process, events, bufferSize };
}
