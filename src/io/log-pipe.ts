// Feeds a child's output pipe into a LogWriter as whole lines, pausing the pipe when the writer is
// behind, resting it between the reads of a busy writer so its small writes gather into big reads, and
// sizing it: large only while its writer is busy.
import type { LogWriter } from './log-writer.ts';
import { PIPE_BYTES, QUIET_PIPE_BYTES, READ_BUFFER_BYTES, type OutputPair } from './socket-pair.ts';
import { frameLines } from './line-framer.ts';
import { restTimers } from './fine-timer.ts';

/** Only a pipe that holds at least this much rests (a smaller one would make a fast writer wait) ... */
export const REST_MIN_HOLDS = 512 * 1024;
/** ... a writer is busy when its previous read came less than this before ... */
export const BUSY_MS = 5;
/** ... and its pipe then rests this long after a read (a 1 MiB pipe holds 1 ms of a writer at 1 GB/s) ... */
export const REST_MS = 1;
/** ... or, with fine rests (fine-timer), until the writer has filled half the pipe, if that takes this long at least. */
export const MIN_REST_MS = 0.1;

/**
 * How long (ms) a pipe that holds `holds` bytes rests after a read of `len` bytes that came `sinceMs`
 * after the previous one, `gathered` bytes read since its last rest (this read included); 0: read
 * on. A read that filled the buffer leaves more to read at once; a writer that filled half the pipe
 * during a rest would soon wait for the emperor: read on until the pipe is nearly empty again. With
 * `fine` rests (shorter than a millisecond), a writer fast enough to fill half the pipe within REST_MS
 * (1.2 GB/s on an idle core fills 1 MiB in 0.9 ms) rests only that long, so it never waits.
 */
export function restAfterRead(len: number, sinceMs: number, holds: number, gathered: number, fine = false): number {
  // Written so that a size not known (NaN) never rests either.
  if (!(holds >= REST_MIN_HOLDS) || len >= READ_BUFFER_BYTES || gathered >= holds / 2 || !(sinceMs < BUSY_MS)) return 0;
  if (!fine) return REST_MS;
  const half = ((holds / 2) * sinceMs) / len;
  return half >= REST_MS ? REST_MS : half >= MIN_REST_MS ? half : 0;
}

/** A stream silent this long before a read is quiet again: its pipe shrinks back to QUIET_PIPE_BYTES. */
export const QUIET_MS = 1000;

/**
 * The size a resizable pipe that holds `holds` bytes should have after a read of `len` bytes that came
 * `sinceMs` after the previous one; 0: leave it. A busy writer (a read within BUSY_MS of the last, or
 * one of half the pipe) gets PIPE_BYTES; a short read after QUIET_MS of silence, the quiet size again.
 */
export function pipeSizeAfterRead(len: number, sinceMs: number, holds: number): number {
  if (holds < PIPE_BYTES) return sinceMs < BUSY_MS || len >= holds / 2 ? PIPE_BYTES : 0;
  return holds > QUIET_PIPE_BYTES && sinceMs >= QUIET_MS && len < QUIET_PIPE_BYTES / 2 ? QUIET_PIPE_BYTES : 0;
}

/** Pipes paused for each writer, resumed together when it drains. */
const paused = new WeakMap<LogWriter, Set<OutputPair>>();

/**
 * Copies what the emperor reads from `pair` into `writer`, framed by line-framer: whole lines go out
 * as they lie in the read buffer, only the partial last line is copied while it waits. A busy
 * writer's pipe rests REST_MS after each read (never a quiet one's: a lone line goes out at once).
 */
export function pipeToLog(pair: OutputPair, writer: LogWriter, onLines?: (text: string) => void): void {
  const framer = frameLines((chunks, whole) => {
    // The hook (ready-log-line) sees whole lines, without the last newline.
    if (whole && onLines !== undefined) onLines(wholeText(chunks));
    return writer.push(...chunks);
  });
  let ended = false;
  if (!paused.has(writer)) {
    const set = new Set<OutputPair>();
    paused.set(writer, set);
    writer.onDrain = () => {
      for (const p of set) p.resume();
      set.clear();
    };
  }
  let lastRead = -Infinity;
  let gathered = 0;
  // Cleared when the system refuses to grow the pipe (a user's pipe quota): not asked again.
  let growable = true;
  const size = (len: number, sinceMs: number): void => {
    const want = pipeSizeAfterRead(len, sinceMs, pair.holds);
    if (pair.resize === undefined || want === 0 || (want > pair.holds && !growable)) return;
    if (pair.resize(want) < want && want === PIPE_BYTES) growable = false;
  };
  let resting: (() => void) | null = null;
  const timers = restTimers();
  const wake = (): void => {
    resting = null;
    gathered = 0;
    // A pipe paused for the writer waits for its drain instead.
    if (!ended && paused.get(writer)?.has(pair) !== true) pair.resume();
  };
  pair.setSink((buf, len) => {
    if (!framer.push(buf.subarray(0, len))) {
      pair.pause();
      paused.get(writer)?.add(pair);
      return false;
    }
    const now = performance.now();
    gathered += len;
    size(len, now - lastRead);
    const rest = restAfterRead(len, now - lastRead, pair.holds, gathered, timers.fine);
    lastRead = now;
    if (rest === 0 && gathered >= pair.holds / 2) gathered = 0;
    if (rest === 0) return true;
    pair.pause();
    resting = timers.timeout(rest, wake);
    return false;
  });
  writer.attach();
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (resting !== null) resting();
    resting = null;
    framer.end();
    paused.get(writer)?.delete(pair);
    writer.detach();
  };
  pair.onEnd(end);
}

// Whole lines as text, without their last newline.
function wholeText(chunks: Buffer[]): string {
  const text = chunks.map((c) => c.toString('utf8')).join('');
  return text.slice(0, -1);
}
