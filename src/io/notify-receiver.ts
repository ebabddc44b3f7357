// The emperor's NOTIFY_SOCKET for its vassals: one datagram socket, each message routed by its sender's pid.
import { readFileSync, rmSync } from 'node:fs';
import { errnoName, nativeHelper } from './native.ts';

/** What a vassal's messages are handed to. */
export type NotifyHandler = (message: string, senderPid: number) => void;

/** The process group of a live process (field 5 of /proc/PID/stat), or null once it is gone. */
export function processGroupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold anything: read after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgid = Number(fields[2]);
    return Number.isInteger(pgid) && pgid > 0 ? pgid : null;
  } catch {
    return null;
  }
}

/**
 * Receives sd_notify datagrams for every vassal with `notify`. The native helper reads them with
 * their sender's credentials on Node's own loop (uv_poll: no thread, no polling interval); a message
 * counts only when its sender is an instance's main process or in its process group, so another
 * local user who can reach the socket cannot speak for a vassal.
 */
export class NotifyReceiver {
  private readonly handlers = new Map<number, NotifyHandler>();
  /** messages whose sender belonged to no instance (gone already, or a stranger). */
  dropped = 0;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly close_: (fd: number) => number,
  ) {}

  /** Binds the socket at `path` (a stale file from an earlier emperor is replaced), or says why it cannot. */
  static open(path: string, lookupGroup: (pid: number) => number | null = processGroupOf): NotifyReceiver | { error: string } {
    const helper = nativeHelper();
    if (typeof helper === 'string') return { error: `\`notify\` needs the native helper: ${helper}` };
    if (helper.notifyListen === undefined || helper.notifyClose === undefined) {
      return { error: '`notify` needs a native helper built from this version (notifyListen is missing); run `npm rebuild` in the emperor package' };
    }
    // The state dir is the emperor's own (locked): a socket file there is a previous emperor's.
    rmSync(path, { force: true });
    let receiver: NotifyReceiver | null = null;
    const fd = helper.notifyListen(path, (pid, message) => receiver?.deliver(pid, message, lookupGroup));
    if (fd < 0) return { error: `cannot bind the vassals' notify socket ${path} (${errnoName(-fd)})` };
    receiver = new NotifyReceiver(path, fd, helper.notifyClose.bind(helper));
    return receiver;
  }

  /** Messages from `pgid`'s processes go to `handler` until unwatch. */
  watch(pgid: number, handler: NotifyHandler): void {
    this.handlers.set(pgid, handler);
  }

  unwatch(pgid: number, handler?: NotifyHandler): void {
    if (handler === undefined || this.handlers.get(pgid) === handler) this.handlers.delete(pgid);
  }

  /** Stops receiving and removes the socket file. */
  close(): void {
    this.close_(this.fd);
    this.handlers.clear();
    rmSync(this.path, { force: true });
  }

  private deliver(pid: number, message: Buffer, lookupGroup: (pid: number) => number | null): void {
    let handler = pid > 0 ? this.handlers.get(pid) : undefined;
    if (handler === undefined && pid > 0) {
      const pgid = lookupGroup(pid);
      handler = pgid === null ? undefined : this.handlers.get(pgid);
    }
    if (handler === undefined) {
      this.dropped++;
      return;
    }
    handler(message.toString('utf8'), pid);
  }
}
