// The alarm decisions as one pure function: what to send, what to hold back (alarm-interval),
// when a recovery is due, and when failed starts become flapping (alarm-flapping = N in DURATION).

/** The events an alarm can be about. */
export const ALARM_EVENTS = ['fatal', 'health', 'restart', 'log-dropped', 'invalid', 'flapping'] as const;
/** One of ALARM_EVENTS. */
export type AlarmEvent = (typeof ALARM_EVENTS)[number];

/** How often, and when failed starts count as flapping. Durations in ms. */
export interface AlarmPolicy {
  intervalMs: number;
  flapping: { count: number; windowMs: number } | null;
}

/** What the machine remembers of one (vassal, event). */
export interface AlarmTrack {
  /** the condition holds now (FATAL, INVALID, health failing...). */
  active: boolean;
  /** an alarm was sent and no recovery since: a recovery is owed. */
  announced: boolean;
  /** monotonic ms of the last alarm sent, or null. */
  lastSentAt: number | null;
  /** alarms held back since the last one sent. */
  held: number;
}

/** The whole state: a track per `vassal\0event`, and each vassal's recent failed starts. */
export interface AlarmState {
  tracks: ReadonlyMap<string, AlarmTrack>;
  failedStarts: ReadonlyMap<string, readonly number[]>;
}

/** What happened, already classified (core/alarm-classify.ts). `now` is monotonic ms. */
export type AlarmInput =
  | { type: 'raise'; vassal: string; event: AlarmEvent; message: string; now: number }
  | { type: 'clear'; vassal: string; event: AlarmEvent; message: string; now: number }
  | { type: 'failed-start'; vassal: string; message: string; now: number }
  | { type: 'forget'; vassal: string };

/** A message to every alarm of the vassal that takes this event, or one held back. */
export type AlarmEffect =
  | { type: 'send'; kind: 'alarm' | 'recovery'; vassal: string; event: AlarmEvent; message: string; heldBack: number }
  | { type: 'held'; vassal: string; event: AlarmEvent };

/** The machine's answer. */
export interface AlarmStep {
  state: AlarmState;
  effects: AlarmEffect[];
}

/** Events that happen once (a restart) rather than hold until they recover. */
const POINT_EVENTS: ReadonlySet<AlarmEvent> = new Set<AlarmEvent>(['restart']);

/** Nothing seen yet. */
export const INITIAL_ALARM_STATE: AlarmState = { tracks: new Map(), failedStarts: new Map() };

const IDLE: AlarmTrack = { active: false, announced: false, lastSentAt: null, held: 0 };
const keyOf = (vassal: string, event: AlarmEvent): string => `${vassal}\u0000${event}`;

/** The track of (vassal, event), idle when never seen. */
export function trackOf(state: AlarmState, vassal: string, event: AlarmEvent): AlarmTrack {
  return state.tracks.get(keyOf(vassal, event)) ?? IDLE;
}

function withTrack(state: AlarmState, vassal: string, event: AlarmEvent, track: AlarmTrack): AlarmState {
  const tracks = new Map(state.tracks);
  tracks.set(keyOf(vassal, event), track);
  return { ...state, tracks };
}

/** One step: the next state and what to send. */
export function alarmStep(state: AlarmState, input: AlarmInput, policy: AlarmPolicy): AlarmStep {
  switch (input.type) {
    case 'raise':
      return raise(state, input.vassal, input.event, input.message, input.now, policy);
    case 'clear':
      return clear(state, input.vassal, input.event, input.message);
    case 'failed-start':
      return failedStart(state, input.vassal, input.message, input.now, policy);
    case 'forget': {
      const tracks = new Map([...state.tracks].filter(([k]) => !k.startsWith(`${input.vassal}\u0000`)));
      const failedStarts = new Map(state.failedStarts);
      failedStarts.delete(input.vassal);
      return { state: { tracks, failedStarts }, effects: [] };
    }
  }
}

// The condition holds: an alarm when the interval since the last one has passed, else one more held back.
function raise(state: AlarmState, vassal: string, event: AlarmEvent, message: string, now: number, policy: AlarmPolicy): AlarmStep {
  const t = trackOf(state, vassal, event);
  const active = !POINT_EVENTS.has(event);
  const due = t.lastSentAt === null || now - t.lastSentAt >= policy.intervalMs;
  if (!due) {
    const next = { ...t, active, held: t.held + 1 };
    return { state: withTrack(state, vassal, event, next), effects: [{ type: 'held', vassal, event }] };
  }
  const next: AlarmTrack = { active, announced: active, lastSentAt: now, held: 0 };
  return { state: withTrack(state, vassal, event, next), effects: [{ type: 'send', kind: 'alarm', vassal, event, message, heldBack: t.held }] };
}

// The condition ended: a recovery, at once and once, when an alarm about it was sent.
function clear(state: AlarmState, vassal: string, event: AlarmEvent, message: string): AlarmStep {
  const t = trackOf(state, vassal, event);
  if (!t.active) return { state, effects: [] };
  if (!t.announced) return { state: withTrack(state, vassal, event, { ...t, active: false }), effects: [] };
  const next: AlarmTrack = { ...t, active: false, announced: false, held: 0 };
  return { state: withTrack(state, vassal, event, next), effects: [{ type: 'send', kind: 'recovery', vassal, event, message, heldBack: t.held }] };
}

// A failed start: flapping once `count` of them fall within the window (only with alarm-flapping).
function failedStart(state: AlarmState, vassal: string, message: string, now: number, policy: AlarmPolicy): AlarmStep {
  const f = policy.flapping;
  if (f === null) return { state, effects: [] };
  const recent = [...(state.failedStarts.get(vassal) ?? []).filter((at) => now - at < f.windowMs), now].slice(-f.count);
  const failedStarts = new Map(state.failedStarts);
  failedStarts.set(vassal, recent);
  const next: AlarmState = { ...state, failedStarts };
  if (recent.length < f.count) return { state: next, effects: [] };
  const within = `${f.count} failed starts within ${Math.round(f.windowMs / 1000)}s (${message})`;
  return raise(next, vassal, 'flapping', within, now, policy);
}
