// Turns a vassal spec and an instance index into a concrete spawn: argv, env, directory and outputs.
import { closeSync, mkdirSync, statSync } from 'node:fs';
import { openLogFile } from '../io/log-file-open.ts';
import { asWho, withRights } from '../io/fs-rights.ts';
import { vassalRights } from './run-as.ts';
import { dirname, isAbsolute, resolve } from 'node:path';
import { expandInstance, type VassalSpec } from '../config/spec.ts';
import { prefixLines } from '../io/line-framer.ts';
import type { OutputTarget, SpawnedProcess, SpawnRequest } from '../io/spawner.ts';
import type { OutputPair } from '../io/socket-pair.ts';
import type { VassalServices } from './vassal-services.ts';
import type { OutputRing } from './output-ring.ts';
import type { LogWriter } from '../io/log-writer.ts';
import { pipeToLog } from '../io/log-pipe.ts';

/** Variables the emperor never passes on: they belong to the emperor's own supervisor. */
const PRIVATE_ENV = ['NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID'];

/** A ready request, the log descriptors to close once the child holds them, and the log files its pipes feed. */
export interface BuiltRequest {
  request: SpawnRequest;
  closeFds(): void;
  /** absolute log paths of the streams that go through the emperor (pipes); null: the emperor's output. */
  logs: { stdout: string | null; stderr: string | null };
}

/** Where a vassal's log path lives: relative paths are under --log-dir. */
export function resolveLogPath(path: string, index: number, logDir: string): string {
  const p = expandInstance(path, index);
  return isAbsolute(p) ? p : resolve(logDir, p);
}

/**
 * Builds the spawn of one instance. Log files are fed through pipes by the emperor (rotation,
 * never blocking), except with `direct`: then the child gets the file itself (daemons, which
 * outlive the emperor). Opening a direct log file can fail, with a message naming it.
 */
export function buildSpawnRequest(spec: VassalSpec, index: number, services: VassalServices, direct = false): BuiltRequest | { error: string } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(services.baseEnv)) if (v !== undefined) env[k] = v;
  for (const k of PRIVATE_ENV) delete env[k];
  for (const [k, v] of spec.env) env[k] = expandInstance(v, index);
  env.EMPEROR_VASSAL = spec.name;
  env.EMPEROR_INSTANCE = String(index);

  const fds: number[] = [];
  // Paths are opened with the vassal's rights: it gets no file it could not open itself.
  const rights = vassalRights(spec);
  const open = (path: string): OutputTarget | { error: string } => {
    const full = resolveLogPath(path, index, services.logDir);
    try {
      const fd = withRights(rights, () => {
        mkdirSync(dirname(full), { recursive: true });
        return openLogFile(full, rights !== null && rights.uid !== 0);
      });
      fds.push(fd);
      return { kind: 'fd', fd };
    } catch (err) {
      return { error: `cannot open log file ${full}${asWho(rights)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  };
  const cwd = expandInstance(spec.directory, index);
  if (rights !== null && spec.lines.directory !== undefined) {
    // The child changes into `directory` before it drops to its user: check it could do so itself.
    try {
      // access(2) would judge by the real uid (root): a lookup of `.` inside needs the search right itself.
      withRights(rights, () => statSync(`${cwd}/.`));
    } catch (err) {
      return { error: `directory ${cwd} cannot be entered${asWho(rights)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix \`directory\` or its permissions` };
    }
  }
  const closeFds = (): void => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  let stdout: OutputTarget | { error: string } = { kind: 'pipe' };
  let stderr: OutputTarget | { error: string } = { kind: 'pipe' };
  const logs: BuiltRequest['logs'] = { stdout: null, stderr: null };
  if (!direct) {
    const both = spec.log !== null ? resolveLogPath(spec.log, index, services.logDir) : null;
    logs.stdout = both ?? (spec.stdoutLog !== null ? resolveLogPath(spec.stdoutLog, index, services.logDir) : null);
    logs.stderr = both ?? (spec.stderrLog !== null ? resolveLogPath(spec.stderrLog, index, services.logDir) : null);
  } else if (spec.log !== null) {
    stdout = open(spec.log);
    stderr = stdout;
  } else {
    if (spec.stdoutLog !== null) stdout = open(spec.stdoutLog);
    if (spec.stderrLog !== null) stderr = open(spec.stderrLog);
  }
  if ('error' in stdout || 'error' in stderr) {
    closeFds();
    return { error: 'error' in stdout ? stdout.error : (stderr as { error: string }).error };
  }
  return {
    request: {
      argv: spec.command.map((w) => expandInstance(w, index)),
      cwd,
      env,
      umask: spec.umask,
      stdout,
      stderr,
    },
    closeFds,
    logs,
  };
}

/** How long after its group is gone an output stream may stay open (held by a process that escaped the group). */
export const ESCAPED_OUTPUT_GRACE_MS = 10_000;

/**
 * When, after the process exits, its output ends are closed: the rest of its group gets `stop-signal`
 * and up to `stop-timeout` to finish (and may write meanwhile), then the grace above.
 */
export function outputGraceMs(spec: VassalSpec): number {
  return spec.stopTimeout + ESCAPED_OUTPUT_GRACE_MS;
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
  services: VassalServices,
  ring: OutputRing,
  feeds: { stdout: LogFeed | null; stderr: LogFeed | null },
  graceMs: number = ESCAPED_OUTPUT_GRACE_MS,
): void {
  // A process that left its group (setsid) and kept the output open would hold the emperor's end
  // forever, one descriptor per restart: the end is closed a while after the process exited.
  const closeLater = (end: { destroy(): void; once(ev: 'close', f: () => void): unknown }): void => {
    proc.onExit(() => {
      const t = setTimeout(() => end.destroy(), graceMs);
      t.unref();
      end.once('close', () => clearTimeout(t));
    });
  };
  const wire = (stream: SpawnedProcess['stdout'], sink: (t: string) => void, feed: LogFeed | null): void => {
    if (feed !== null) {
      pipeToLog(feed.pair, feed.writer);
      closeLater(feed.pair.reader);
      return;
    }
    if (stream === null) return;
    closeLater(stream);
    const lines = prefixLines(`${name}: `, sink, (text) => ring.push(text));
    stream.on('data', (chunk: Buffer) => lines.push(chunk));
    stream.on('end', () => lines.end());
    stream.on('error', () => lines.end());
  };
  wire(proc.stdout, services.stdout, feeds.stdout);
  wire(proc.stderr, services.stderr, feeds.stderr);
}
