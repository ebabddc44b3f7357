// Which event lines are alarm conditions, and which end one: the emperor's event stream read as alarm inputs.
import type { AlarmInput } from './alarm-machine.ts';

/** The part of an event line this reads (runtime/event-log.ts LiveEvent has it). */
export interface AlarmSourceEvent {
  vassal?: string;
  instance?: number;
  state?: string;
  from?: string;
  message?: string;
}

/** The alarm inputs one event line means, at monotonic `now`; none for most lines. */
export function classifyEvent(ev: AlarmSourceEvent, now: number): AlarmInput[] {
  const vassal = ev.vassal;
  if (vassal === undefined) return [];
  const message = ev.message ?? ev.state ?? '';
  const out: AlarmInput[] = [];
  const raise = (event: 'fatal' | 'health' | 'restart' | 'log-dropped' | 'invalid'): void => {
    out.push({ type: 'raise', vassal, event, message, now });
  };
  const clear = (event: 'fatal' | 'health' | 'log-dropped' | 'invalid' | 'flapping'): void => {
    out.push({ type: 'clear', vassal, event, message, now });
  };
  if (ev.state === 'INVALID') raise('invalid');
  if (ev.instance !== undefined) {
    if (ev.state === 'FATAL' && ev.from !== 'FATAL') {
      raise('fatal');
      out.push({ type: 'failed-start', vassal, message, now });
    }
    if (ev.state === 'BACKOFF' && ev.from !== 'BACKOFF') out.push({ type: 'failed-start', vassal, message, now });
    // FATAL left: the program runs, or it ended or was stopped on purpose.
    if ((ev.state === 'RUNNING' || ev.state === 'EXITED' || ev.state === 'STOPPED') && ev.from !== ev.state) {
      clear('fatal');
      clear('flapping');
    }
  }
  if (/^health check failed/.test(message)) raise('health');
  if (/^health check (passing again|passed)/.test(message)) clear('health');
  if (/over max-rss|watchdog/.test(message) && /restarted/.test(message)) raise('restart');
  if (/^log lines dropped/.test(message)) raise('log-dropped');
  if (/^log .* is writable again/.test(message)) clear('log-dropped');
  if (/^(file changed \(|found )/.test(message)) clear('invalid');
  if (message === 'removed') out.push({ type: 'forget', vassal });
  return out;
}
