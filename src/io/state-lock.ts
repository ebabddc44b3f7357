// One emperor per state directory: a pid file taken atomically, refusing while its owner lives.
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './process-group.ts';
import { identify } from './pidfile.ts';
import { EmperorError, errnoOf, failure } from '../core/errors.ts';

/** Takes `<stateDir>/emperor.pid`, or throws an error saying which emperor holds it. */
export function lockStateDir(stateDir: string): { release(): void } {
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  const pidFile = join(stateDir, 'emperor.pid');
  const temp = join(stateDir, `.emperor.pid.${process.pid}`);
  writeFileSync(temp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(temp, pidFile);
        return {
          release() {
            try {
              if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) unlinkSync(pidFile);
            } catch {
              // already gone
            }
          },
        };
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw err;
      }
      const owner = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
      // After a crash the pid may belong to someone else by now: an emperor wrote its pid file after it started.
      const id = Number.isInteger(owner) ? identify(owner) : null;
      const same = id !== null && id.startMs <= statSync(pidFile).mtimeMs + 1000 && looksLikeEmperor(owner);
      if (owner !== process.pid && processAlive(owner) && same) {
        throw new EmperorError(
          failure('E_ALREADY_RUNNING', `another emperor (pid ${owner}) is running with state dir ${stateDir}; stop it first, or give this one its own --state-dir`),
        );
      }
      unlinkSync(pidFile); // stale: its emperor is gone
    }
    throw new EmperorError(failure('E_ALREADY_RUNNING', `could not take ${pidFile}: another emperor is starting with the same --state-dir`));
  } finally {
    unlinkSync(temp);
  }
}

function looksLikeEmperor(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('emperor');
  } catch {
    return false;
  }
}
