// Hands a listening socket to a child as systemd does: fd 3, LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES.
import type { SpawnRequest } from '../io/spawner.ts';

/** The exec shim: LISTEN_PID must be the program's own pid, known only in the child; sh's `$$` is, and exec keeps it. */
export const SHIM = ['/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh'] as const;

/**
 * Wraps a request so the program gets the socket `fd` as its fd 3 (SD_LISTEN_FDS_START) with the
 * activation variables; `name` becomes LISTEN_FDNAMES. Apply before `runAs`: setpriv execs too,
 * so the shim runs as the vassal's user and the pid stays the program's.
 */
export function handOverSocket(req: SpawnRequest, fd: number, name: string): void {
  req.env.LISTEN_FDS = '1';
  req.env.LISTEN_FDNAMES = name;
  delete req.env.LISTEN_PID;
  req.argv = [...SHIM, ...req.argv];
  req.listenFd = fd;
}
