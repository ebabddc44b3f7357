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
  ring: OutputRing,
  feeds: { stdout: LogFeed | null; stderr: LogFeed | null },
  graceMs: number = ESCAPED_OUTPUT_GRACE_MS,
  /** each batch of whole lines, for `ready-log-line`. */
  onLines?: (text: string) => void,
): void {
  // A process that left its group (setsid) and kept the output open would hold the emperor's end
  // forever, one descriptor per restart: the end is closed a while after the process exited.
  const timers = services.timers;
  const closeLater = (end: ReadEnd): void => {
    proc.onExit(() => {
      const t = timers.setTimeout(() => end.destroy(), graceMs);
      t.unref?.();
      end.onEnd(() => timers.clearTimeout(t));
    });
  };
  const wire = (stream: SpawnedProcess['stdout'], sink: (t: string) => void, feed: LogFeed | null): void => {
    if (feed !== null) {
      pipeToLog(feed.pair, feed.writer, onLines);
      closeLater(feed.pair);
      return;
    }
    if (stream === null) return;
    closeLater(stream);
    // Made at the first read: most children never print, and a framer is some 700 bytes per stream.
    let lines: LineFramer | null = null;
    stream.setSink((buf, len) => {
      lines ??= prefixLines(`${name}: `, sink, onLines === undefined ? (text) => ring.push(text) : (text) => (ring.push(text), onLines(text)));
      lines.push(buf.subarray(0, len));
      return true;
    });
    stream.onEnd(() => lines?.end());
  };
  wire(proc.stdout, services.stdout, feeds.stdout);
  wire(proc.stderr, services.stderr, feeds.stderr);
}
