// systemd's notification protocol (sd_notify(3)): KEY=VALUE lines in one datagram to $NOTIFY_SOCKET,
// a socket path or an abstract `@name`, sent from the emperor's own pid so NotifyAccess=main accepts it.
import { errnoName, nativeHelper } from './native.ts';

const RETRY_MS = 100;

/** A $NOTIFY_SOCKET value as the address bytes for the helper, or why it cannot be used. */
export function notifyAddress(value: string): Buffer | string {
  if (value.startsWith('@') && value.length > 1) return Buffer.concat([Buffer.from([0]), Buffer.from(value.slice(1))]);
  if (value.startsWith('/')) return Buffer.from(value);
  return `NOTIFY_SOCKET=${value} is neither an absolute path nor an abstract @name`;
}

/** Sends to one notification socket; reports each distinct failure once. */
export class SdNotify {
  private lastError: string | null = null;

  constructor(
    private readonly address: Buffer,
    private readonly socketName: string,
    private readonly report: (message: string) => void,
  ) {}

  /**
   * Sends `lines` (e.g. ['READY=1', 'STATUS=...']) as one datagram; false when it did not go.
   * With `retries`, a full receive queue (EAGAIN) is tried again every 100 ms: READY=1 lost
   * would leave systemd waiting for a start that happened.
   */
  send(lines: string[], retries = 0): boolean {
    const helper = nativeHelper();
    const errno = typeof helper === 'string' ? -1 : helper.sendDatagram(this.address, Buffer.from(lines.join('\n') + '\n'));
    if (errno === 0) {
      this.lastError = null;
      return true;
    }
    const why = typeof helper === 'string' ? helper : errnoName(errno);
    if (retries > 0 && (why === 'EAGAIN' || why === 'ENOBUFS')) {
      setTimeout(() => this.send(lines, retries - 1), RETRY_MS).unref();
      return false;
    }
    const message = `cannot notify systemd at ${this.socketName} (${why}); ${lines[0] ?? ''} not sent`;
    if (message !== this.lastError) this.report(message);
    this.lastError = message;
    return false;
  }
}
