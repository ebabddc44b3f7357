// Starts a child whose output goes to log files: first its output pairs (asynchronous), then the spawn.
import type { SpawnedProcess, SpawnRequest, Spawner } from '../io/spawner.ts';
import type { OutputPair } from '../io/socket-pair.ts';
import type { LogWriter } from '../io/log-writer.ts';
import type { LogFeed } from './child-output.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import { describeErrno, failed, type Failed, type Failure } from '../core/errors.ts';

/** What a piped spawn needs: the request, the writers of its log files, and what to do with the started child. */
export interface PipedSpawn {
  request: SpawnRequest;
  spawner: Spawner;
  writers: { stdout: LogWriter | null; stderr: LogWriter | null };
  /** the log descriptors of the request, closed once the child holds them (or the spawn is off). */
  closeFds(): void;
  /** the spawn's failure, made clearer for the operator. */
  explain(failure: Failure): Failed;
  /** wires the started child to its feeds and watches it. */
  started(proc: SpawnedProcess, feeds: { stdout: LogFeed | null; stderr: LogFeed | null }): Supervised;
}

/**
 * The emperor's end of each pair reads into one shared buffer (no stream, no Buffer per read);
 * making a pair takes a round trip on a Unix socket, so this start completes a moment later.
 * Cancelled before the pairs are ready, nothing starts and the pairs are closed.
 */
export function spawnPiped(p: PipedSpawn): PendingSpawn {
  let cancelled = false;
  const want = (w: LogWriter | null): Promise<OutputPair | null> => (w === null ? Promise.resolve(null) : p.spawner.outputPair());
  const pending = Promise.allSettled([want(p.writers.stdout), want(p.writers.stderr)]).then(
    async ([a, b]): Promise<Supervised | Failed> => {
      const out = a.status === 'fulfilled' ? a.value : null;
      const err = b.status === 'fulfilled' ? b.value : null;
      const failure = a.status === 'rejected' ? (a.reason as unknown) : b.status === 'rejected' ? (b.reason as unknown) : null;
      if (cancelled || failure !== null) {
        out?.destroy();
        err?.destroy();
        p.closeFds();
        if (failure === null) return failed('E_SPAWN_CANCELLED', 'start cancelled');
        return failed('E_LOG_PIPES', `cannot create the output pipes for the log files: ${describeErrno(failure)}`, { cause: failure });
      }
      const req = p.request;
      if (out !== null) req.stdout = { kind: 'fd', fd: out.childEnd };
      if (err !== null) req.stderr = { kind: 'fd', fd: err.childEnd };
      // Off the main thread where the spawner can; the descriptors stay open until it settles.
      const proc = p.spawner.spawnLater === undefined ? p.spawner.spawn(req) : await p.spawner.spawnLater(req);
      p.closeFds();
      // The child holds its ends now: the emperor's copies go, so the child's exit ends the reads.
      out?.closeChildEnd();
      err?.closeChildEnd();
      if ('error' in proc) {
        out?.destroy();
        err?.destroy();
        return p.explain(proc.reason === undefined ? proc.failure : await proc.reason);
      }
      const feed = (pair: OutputPair | null, writer: LogWriter | null): LogFeed | null => (pair === null || writer === null ? null : { pair, writer });
      return p.started(proc, { stdout: feed(out, p.writers.stdout), stderr: feed(err, p.writers.stderr) });
    },
  );
  return {
    pending,
    cancel: () => {
      cancelled = true;
    },
  };
}
