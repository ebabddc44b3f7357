// A vassal of a non-root user that fails while its user is at the process limit: the exit says so, since
// the program itself at best printed "Cannot fork" and the exit code alone says nothing.
import { exitWords } from '../core/lifecycle-steps.ts';
import type { ProcessFacts } from './ports.ts';
import type { PendingSpawn, Supervised } from './supervised.ts';
import type { Failed } from '../core/errors.ts';
import { overriding } from './spawned-child.ts';

/** Within this many processes of the limit, a failure is put down to it (the failed one has exited already). */
const NEAR = 2;

/** The reason a failed exit gets when `user` is at its process limit, or null. */
export function limitReason(code: number | null, signal: string | null, user: { name: string; uid: number }, facts: Pick<ProcessFacts, 'processLimit'>): string | null {
  if (code === 0 && signal === null) return null;
  const at = facts.processLimit?.(user.uid) ?? null;
  if (at === null || at.count + NEAR < at.limit) return null;
  return `${exitWords(code, signal)} (user ${user.name} is at its process limit, ${at.count} processes of RLIMIT_NPROC ${at.limit}: raise LimitNPROC= in the emperor's unit or nproc in /etc/security/limits.conf, or run fewer processes as ${user.name})`;
}

/** `started` with failed exits explained by the process limit, for a vassal that runs as a user other than root. */
export function withLimitHint(facts: ProcessFacts, user: { name: string; uid: number } | null, started: Supervised | PendingSpawn | Failed): Supervised | PendingSpawn | Failed {
  if (user === null || user.uid === 0 || facts.processLimit === undefined || 'error' in started) return started;
  const wrap = (sup: Supervised): Supervised =>
    overriding(sup, {
      onExit: (listener) => sup.onExit((code, signal, reason) => listener(code, signal, reason ?? limitReason(code, signal, user, facts) ?? undefined)),
    });
  if ('pending' in started) return { pending: started.pending.then((r) => ('error' in r ? r : wrap(r))), cancel: started.cancel };
  return wrap(started);
}
