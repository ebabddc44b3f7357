// Feeds a child's output pipe into a LogWriter as whole lines, pausing the pipe when the writer is behind.
import type { LogWriter } from './log-writer.ts';
import type { OutputPair } from './socket-pair.ts';
import { frameLines } from './line-framer.ts';

/** Pipes paused for each writer, resumed together when it drains. */
const paused = new WeakMap<LogWriter, Set<OutputPair>>();

/**
 * Copies what the emperor reads from `pair` into `writer`, framed by line-framer: whole lines go out
 * as they lie in the read buffer, only the partial last line is copied while it waits.
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
  pair.setSink((buf, len) => {
    if (framer.push(buf.subarray(0, len))) return true;
    pair.reader.pause();
    paused.get(writer)?.add(pair);
    return false;
  });
  writer.attach();
  const end = (): void => {
    if (ended) return;
    ended = true;
    framer.end();
    paused.get(writer)?.delete(pair);
    writer.detach();
  };
  pair.reader.on('end', end);
  pair.reader.on('close', end);
}

// Whole lines as text, without their last newline.
function wholeText(chunks: Buffer[]): string {
  const text = chunks.map((c) => c.toString('utf8')).join('');
  return text.slice(0, -1);
}
