// Wires a started child's output: log files through their output pairs, the rest as `NAME: ` lines.
import { prefixLines, type LineFramer } from '../io/line-framer.ts';
import type { SpawnedProcess } from '../io/spawner.ts';
import { ESCAPED_OUTPUT_GRACE_MS } from './spawn-plan.ts';
import type { OutputPair, ReadEnd } from '../io/socket-pair.ts';
import type { Timers } from './ports.ts';
import type { OutputRing } from './output-ring.ts';
import type { LogWriter } from '../io/log-writer.ts';
import { pipeToLog } from '../io/log-pipe.ts';

/** Where output without a log file goes (already prefixed), and the timers that close escaped outputs. */
export interface OutputSinks {
  stdout(text: string): void;
  stderr(text: string): void;
  timers: Timers;
}

/** The log side of one output stream: the pipe the emperor reads and the writer of its file. */
export interface LogFeed {
  pair: OutputPair;
  writer: LogWriter;
}

/**
 * Output with a log file arrives through its output pair into the log writer; piped output without
 * one goes, prefixed with `NAME: `, onto the emperor's own stdout and stderr (and into the ring
 * that `emperorctl logs` reads).
 */
export function attachOutput(
  proc: SpawnedProcess,
  name: string,
  services: OutputSinks,
  ring: Pick<OutputRing, 'push'>,
  feeds: { stdout: LogFeed | null; stderr: LogFeed | null },
  // How long the ends stay open after the exit: ESCAPED_OUTPUT_GRACE_MS when not given (no default value: a
  // parameter list with one keeps a scope of its own, some 50 bytes a child).
  graceMs?: number,
  /** each batch of whole lines, for `ready-log-line`. */
  onLines?: (text: string) => void,
): void {
  const out = feeds.stdout === null ? proc.stdout : logged(feeds.stdout, onLines);
  const err = feeds.stderr === null ? proc.stderr : logged(feeds.stderr, onLines);
  if (out === null && err === null) return;
  // The readers of both streams and the exit listener are closures of this one scope: a scope of their own
  // each was some 130 bytes a child. A stream's framer is made at its first read: most children never
  // print, and a framer is some 700 bytes per stream.
  let outLines: LineFramer | null = null;
  let errLines: LineFramer | null = null;
  if (feeds.stdout === null && out !== null) {
    out.setSink((buf, len) => {
      (outLines ??= framed(out, name, services.stdout, ring, onLines)).push(buf.subarray(0, len));
      return true;
    });
  }
  if (feeds.stderr === null && err !== null) {
    err.setSink((buf, len) => {
      (errLines ??= framed(err, name, services.stderr, ring, onLines)).push(buf.subarray(0, len));
      return true;
    });
  }
  // A process that left its group (setsid) and kept the output open would hold the emperor's end
  // forever, one descriptor per restart: the ends are closed a while after the process exited.
  // One exit listener and one timer for both ends, made only at the exit.
  proc.onExit(() => {
    const timers = services.timers;
    const t = timers.setTimeout(() => {
      out?.destroy();
      err?.destroy();
    }, graceMs ?? ESCAPED_OUTPUT_GRACE_MS);
    t.unref?.();
    let open = (out === null ? 0 : 1) + (err === null ? 0 : 1);
    const closed = (): void => {
      if (--open === 0) timers.clearTimeout(t);
    };
    out?.onEnd(closed);
    err?.onEnd(closed);
  });
}

// A stream with a log file: its output pair into the log writer (`onLines`: ready-log-line). The end it reads.
function logged(feed: LogFeed, onLines?: (text: string) => void): ReadEnd {
  pipeToLog(feed.pair, feed.writer, onLines);
  return feed.pair;
}

// A stream's lines, prefixed with `NAME: `, onto the emperor's own output and into the ring (`onLines`:
// ready-log-line), made at its first read. Its end listener too: a listener per silent stream kept an
// array, a closure and a pushed array's room (~240 bytes).
function framed(stream: ReadEnd, name: string, sink: (t: string) => void, ring: Pick<OutputRing, 'push'>, onLines?: (text: string) => void): LineFramer {
  const made = prefixLines(`${name}: `, sink, onLines === undefined ? (text) => ring.push(text) : (text) => (ring.push(text), onLines(text)));
  stream.onEnd(() => made.end());
  return made;
}
