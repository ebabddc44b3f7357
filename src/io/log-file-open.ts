// Opening a log file for appending without ever hanging the emperor, and without letting a vassal
// that does not run as root aim its log at a FIFO, a terminal or a device.
import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { asWho, withRights, type FsRights } from './fs-rights.ts';
import { describeErrno, fail, type ErrorCode, type Outcome } from '../core/errors.ts';

/** /dev/null's device number (major 1, minor 3): a fine log for anyone. */
const DEV_NULL_RDEV = (1 << 8) | 3;

/** O_NONBLOCK: opening a FIFO with no reader fails (ENXIO) instead of waiting for one. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Why a vassal that is not root may not log to this file, or null (regular files and /dev/null). */
export function unfitLogTarget(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isCharacterDevice() && st.rdev === DEV_NULL_RDEV) return null;
  return 'not a regular file (a vassal that does not run as root may only log to regular files or /dev/null)';
}

/** Opens PATH for appending (creating it, mode 0640); `strict` refuses anything but a regular file or /dev/null. */
export function openLogFile(path: string, strict: boolean): number {
  const fd = openSync(path, APPEND_FLAGS, 0o640);
  if (!strict) return fd;
  const why = unfitLogTarget(fstatSync(fd));
  if (why === null) return fd;
  closeSync(fd);
  throw new Error(why);
}

/** What a spawn opens: the directory it must be able to enter (or null) and the log files the child gets. */
export interface SpawnFiles {
  enter: string | null;
  files: readonly string[];
}

/**
 * Checks and opens everything a spawn needs with the vassal's rights, switching to them once: it
 * gets no file it could not open itself. Returns the files' descriptors in order, or the first
 * problem (with nothing left open).
 */
export function openSpawnFiles(rights: FsRights | null, want: SpawnFiles): Outcome<number[]> {
  const fds: number[] = [];
  const enterProblem = (err: unknown, code: ErrorCode = 'E_SPAWN_DIRECTORY'): Outcome<number[]> =>
    fail(code, `directory ${want.enter ?? ''} cannot be entered${asWho(rights)} (${describeErrno(err)}); fix \`directory\` or its permissions`, { cause: err });
  const openProblem = (path: string, err: unknown, code: ErrorCode = 'E_LOG_OPEN'): Outcome<number[]> =>
    fail(code, `cannot open log file ${path}${asWho(rights)}: ${describeErrno(err)}`, { cause: err });
  try {
    return withRights(rights, () => {
      if (want.enter !== null) {
        // access(2) would judge by the real uid (root): a lookup of `.` inside needs the search right itself.
        try {
          statSync(`${want.enter}/.`);
        } catch (err) {
          return enterProblem(err);
        }
      }
      for (const path of want.files) {
        try {
          mkdirSync(dirname(path), { recursive: true });
          fds.push(openLogFile(path, rights !== null && rights.uid !== 0));
        } catch (err) {
          for (const fd of fds.splice(0)) closeSync(fd);
          return openProblem(path, err);
        }
      }
      return { ok: true, value: fds };
    });
  } catch (err) {
    // The rights themselves could not be taken: the first thing to do gets the blame.
    for (const fd of fds.splice(0)) closeSync(fd);
    return want.enter !== null ? enterProblem(err, 'E_RIGHTS_UNAVAILABLE') : openProblem(want.files[0] ?? '', err, 'E_RIGHTS_UNAVAILABLE');
  }
}
