// What a scheduled job does at its time, when a run ends, and on `emperorctl run`: the overlap rules as one pure function.

/** `overlap`: what a time that comes while a run is still going does. */
export type Overlap = 'skip' | 'queue' | 'kill';

/** A job's state as the scheduler sees it. */
export interface JobState {
  running: boolean;
  /** a run waits for the current one to end (overlap = queue). */
  queued: boolean;
}

/** A time came (`due`), someone asked (`run-now`), or the run ended. */
export type JobEvent = { type: 'due' } | { type: 'run-now' } | { type: 'ended' };

/** What to do: start a run, kill the run and start anew, or nothing (with why). */
export type JobAction = { type: 'start' } | { type: 'kill-and-start' } | { type: 'none'; why: 'skipped' | 'queued' | 'refused' | 'idle' };

/** One step of a scheduled job. */
export function jobStep(state: JobState, ev: JobEvent, overlap: Overlap): { state: JobState; action: JobAction } {
  switch (ev.type) {
    case 'ended':
      if (state.queued) return { state: { running: true, queued: false }, action: { type: 'start' } };
      return { state: { running: false, queued: false }, action: { type: 'none', why: 'idle' } };
    case 'due':
    case 'run-now':
      if (!state.running) return { state: { running: true, queued: false }, action: { type: 'start' } };
      switch (overlap) {
        case 'skip':
          return { state, action: { type: 'none', why: ev.type === 'due' ? 'skipped' : 'refused' } };
        case 'queue':
          return { state: { running: true, queued: true }, action: { type: 'none', why: 'queued' } };
        case 'kill':
          return { state: { running: true, queued: false }, action: { type: 'kill-and-start' } };
      }
  }
}
