// The native helper (native/emperor-native.c, built by `npm install`), loaded on first use.
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type { PipeReaderHelper } from './pipe-reader.ts';

/** What the helper does; see native/emperor-native.c. Each returns 0 or an errno. */
export interface NativeHelper extends Partial<PipeReaderHelper> {
  sendDatagram(address: Buffer, message: Buffer): number;
  /** two connected AF_UNIX stream sockets (close-on-exec), or an errno. */
  socketPair(): [number, number] | number;
  /** a pipe's [read end, write end, bytes it holds] (close-on-exec), enlarged to `bytes` where the system allows; or an errno. */
  pipePair?(bytes: number): [number, number, number] | number;
  /** resizes the pipe of `fd` to `bytes`: the size it has then, or -errno (EBUSY: it holds more; EPERM: past the limit). */
  pipeSize?(fd: number, bytes: number): number;
  /** makes the one rest timer (a timerfd on Node's loop) that calls `callback` when it expires; 0, or -errno. */
  restTimer?(callback: () => void): number;
  /** arms the rest timer to expire once after `microseconds` (0 disarms); 0, or -errno. */
  restTimerArm?(microseconds: number): number;
  /** a listening socket's fd, or -errno: (host, port, backlog) for TCP, (path, -1, backlog) for Unix. */
  listenSocket(where: string, port: number, backlog: number): number;
  /**
   * a bound, non-blocking AF_UNIX datagram socket at `path` (mode 0666) watched on Node's loop: each
   * datagram calls back with its sender's pid (SCM_CREDENTIALS; 0 when none came); its fd, or -errno.
   */
  notifyListen?(path: string, onMessage: (pid: number, message: Buffer) => void): number;
  /** stops watching and closes a socket of notifyListen; 0, or an errno. */
  notifyClose?(fd: number): number;
  setFsCreds(uid: number, gid: number, groups: number[]): number;
  restoreFsCreds(): number;
  /** malloc_trim(0): the allocator's free pages back to the system; whether any went (false off glibc). */
  mallocTrim?(): boolean;
}

const ADDON = new URL('../../build/Release/emperor_native.node', import.meta.url);

let loaded: NativeHelper | string | undefined;

/** The helper, or why it cannot be loaded (not built on this machine, or EMPEROR_NO_NATIVE=1: every fallback). */
export function nativeHelper(): NativeHelper | string {
  if (loaded === undefined && process.env.EMPEROR_NO_NATIVE === '1') loaded = 'the native helper is turned off (EMPEROR_NO_NATIVE=1)';
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)(ADDON.pathname) as NativeHelper;
    } catch (err) {
      loaded =
        `the native helper ${ADDON.pathname} cannot be loaded (${(err as Error).message.split('\n')[0]}); ` +
        'run `npm rebuild` in the emperor package with a C compiler, make and python3 installed';
    }
  }
  return loaded;
}

/** The symbolic name of an errno number (ECONNREFUSED), for messages. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(constants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}
