// A fake readiness port: the test delivers sd_notify messages and uWSGI Emperor bytes itself, as the
// notify socket and the pipes would.
import type { EmperorPipe, ReadinessPort } from '../../../src/runtime/emperor-ports.ts';
import { failed, type Failed } from '../../../src/core/errors.ts';

/** One fake pipe: the bytes the emperor wrote, and `receive` for what the vassal sends. */
export interface FakePipe extends EmperorPipe {
  sent: number[];
  closed: boolean;
  receive(byte: number): void;
}

/** The notify socket and pipes of a fake world. */
export class FakeReadiness implements ReadinessPort {
  readonly path = '/fake/state/notify.sock';
  readonly handlers = new Map<number, (message: string) => void>();
  readonly pipes: FakePipe[] = [];
  /** false: no uWSGI Emperor pipes here (no native helper). */
  pipesAvailable = true;
  /** set to make the notify socket unavailable (no native helper). */
  unavailable: string | null = null;
  closed = false;
  private nextFd = 100;

  notifySocket(): string | Failed {
    return this.unavailable === null ? this.path : failed('E_READINESS_UNAVAILABLE', this.unavailable);
  }

  watch(pid: number, handler: (message: string) => void): void {
    this.handlers.set(pid, handler);
  }

  unwatch(pid: number, handler: (message: string) => void): void {
    if (this.handlers.get(pid) === handler) this.handlers.delete(pid);
  }

  openPipe(onByte: (byte: number) => void): FakePipe {
    const pipe: FakePipe = {
      childFd: this.nextFd++,
      sent: [],
      closed: false,
      handedOver: () => {},
      send: (b) => !pipe.closed && (pipe.sent.push(b), true),
      close: () => void (pipe.closed = true),
      receive: onByte,
    };
    this.pipes.push(pipe);
    return pipe;
  }

  close(): void {
    this.closed = true;
  }

  /** A datagram from process `pid`; false when nobody listens for it (a stranger's message is dropped). */
  deliver(pid: number, message: string): boolean {
    const handler = this.handlers.get(pid);
    handler?.(message);
    return handler !== undefined;
  }
}
