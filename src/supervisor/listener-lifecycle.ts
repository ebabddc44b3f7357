// One event listener process's life, as a pure transition: supervisord's listener states plus being restarted when it dies.

/** supervisord's listener states (ACKNOWLEDGED, READY, BUSY), with STOPPED before a start, BACKOFF before a retry, GONE after a stop. */
export type ListenerState = 'STOPPED' | 'ACKNOWLEDGED' | 'READY' | 'BUSY' | 'BACKOFF' | 'GONE';

/** Every state, for tables. */
export const LISTENER_STATES: readonly ListenerState[] = ['STOPPED', 'ACKNOWLEDGED', 'READY', 'BUSY', 'BACKOFF', 'GONE'];

/** What happens to a listener. */
export type ListenerEvent =
  | { type: 'start' }
  | { type: 'spawned' }
  | { type: 'spawn-failed'; error: string }
  | { type: 'ready' }
  | { type: 'sent' }
  | { type: 'result'; ok: boolean }
  | { type: 'broken'; why: string }
  | { type: 'exited'; how: string; uptimeMs: number }
  | { type: 'stop' };

/** Every event type, for tables. */
export const LISTENER_EVENTS: ReadonlyArray<ListenerEvent['type']> = ['start', 'spawned', 'spawn-failed', 'ready', 'sent', 'result', 'broken', 'exited', 'stop'];

/** What the runner does. */
export type ListenerEffect =
  | { type: 'spawn' }
  | { type: 'notify-ready' }
  | { type: 'deliver-result'; ok: boolean }
  | { type: 'requeue' }
  | { type: 'kill'; signal: 'stop-signal' | 'SIGKILL' }
  | { type: 'retry-in'; ms: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** The machine: its state and the delay before the next retry. */
export interface ListenerMachine {
  state: ListenerState;
  delayMs: number;
}

/** First retry delay; it doubles up to MAX_DELAY_MS and starts over after a stable run. */
export const FIRST_DELAY_MS = 1000;
/** The longest wait before a dead listener is started again. */
export const MAX_DELAY_MS = 30_000;
/** A listener that lived this long starts its next delay from the first again. */
export const STABLE_MS = 10_000;

/** The machine of a listener not yet started. */
export const initialListener: ListenerMachine = { state: 'STOPPED', delayMs: FIRST_DELAY_MS };

type Step = { next: ListenerMachine; effects: ListenerEffect[] };
const stay = (m: ListenerMachine): Step => ({ next: m, effects: [] });
const live = (s: ListenerState): boolean => s === 'ACKNOWLEDGED' || s === 'READY' || s === 'BUSY';

function retry(m: ListenerMachine, message: string): Step {
  return {
    next: { state: 'BACKOFF', delayMs: Math.min(m.delayMs * 2, MAX_DELAY_MS) },
    effects: [{ type: 'log', level: 'warn', message: `${message}; restarting in ${m.delayMs / 1000}s` }, { type: 'retry-in', ms: m.delayMs }],
  };
}

/** The next machine and the effects of one event. */
export function listenerTransition(m: ListenerMachine, ev: ListenerEvent): Step {
  const s = m.state;
  switch (ev.type) {
    case 'start':
      return s === 'STOPPED' || s === 'BACKOFF' ? { next: m, effects: [{ type: 'spawn' }] } : stay(m);
    case 'spawned':
      return s === 'STOPPED' || s === 'BACKOFF' ? { next: { ...m, state: 'ACKNOWLEDGED' }, effects: [] } : stay(m);
    case 'spawn-failed':
      return s === 'STOPPED' || s === 'BACKOFF' ? retry(m, ev.error) : stay(m);
    case 'ready':
      return s === 'ACKNOWLEDGED' ? { next: { ...m, state: 'READY' }, effects: [{ type: 'notify-ready' }] } : stay(m);
    case 'sent':
      return s === 'READY' ? { next: { ...m, state: 'BUSY' }, effects: [] } : stay(m);
    case 'result':
      return s === 'BUSY' ? { next: { ...m, state: 'ACKNOWLEDGED' }, effects: [{ type: 'deliver-result', ok: ev.ok }] } : stay(m);
    case 'broken':
      // Its process is killed; the exit that follows restarts it (and gives back a held event).
      return live(s) ? { next: m, effects: [{ type: 'log', level: 'error', message: `broke the listener protocol: ${ev.why}; killing it` }, { type: 'kill', signal: 'SIGKILL' }] } : stay(m);
    case 'exited': {
      if (!live(s)) return stay(m);
      const requeue: ListenerEffect[] = s === 'BUSY' ? [{ type: 'requeue' }] : [];
      const base = ev.uptimeMs >= STABLE_MS ? { ...m, delayMs: FIRST_DELAY_MS } : m;
      const r = retry(base, `listener ${ev.how}`);
      return { next: r.next, effects: [...requeue, ...r.effects] };
    }
    case 'stop':
      if (s === 'GONE') return stay(m);
      return { next: { ...m, state: 'GONE' }, effects: live(s) ? [{ type: 'kill', signal: 'stop-signal' }] : [] };
  }
}
