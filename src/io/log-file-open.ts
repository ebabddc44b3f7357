// Opening a log file for appending without ever hanging the emperor, and without letting a vassal
// that does not run as root aim its log at a FIFO, a terminal or a device.
import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs';

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
