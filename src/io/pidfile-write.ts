// What a daemon's watch does to the file system beyond reading: write a pidfile, watch its directory.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, watch, writeSync } from 'node:fs';
import { withRights, type FsRights } from './fs-rights.ts';

/** Writes `pid` into a pidfile with `rights` (smart-attach-daemon2); a regular file only; throws the system's error. */
export function writePidfile(path: string, pid: number, rights: FsRights | null): void {
  withRights(rights, () => {
    // O_NONBLOCK: a FIFO in the pidfile's place fails (ENXIO) rather than hanging the emperor.
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY, 0o644);
    try {
      if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
      ftruncateSync(fd, 0);
      writeSync(fd, `${pid}\n`);
    } finally {
      closeSync(fd);
    }
  });
}

/** Calls `onEvent` for every change in `dir`; null when it cannot be watched (the periodic check still runs). */
export function watchDirEvents(dir: string, onEvent: (file: string | null) => void): { close(): void } | null {
  try {
    const watcher = watch(dir, (_event, file) => onEvent(file));
    watcher.on('error', () => {});
    return watcher;
  } catch {
    return null;
  }
}
