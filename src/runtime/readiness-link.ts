// One instance's readiness channel: sd_notify messages, uWSGI Emperor bytes and ready log lines -> lifecycle events.
import type { LifecycleEvent } from '../core/lifecycle.ts';
import { notifyEvent, parseNotify } from '../core/notify-message.ts';
import { decodeVassalByte, EMPEROR_RELOAD, EMPEROR_STOP, vassalByteEvent } from '../core/uwsgi-emperor-protocol.ts';
import type { EmperorPipe, ReadinessPort } from './emperor-ports.ts';
import type { Supervised } from './supervised.ts';
import { overriding } from './spawned-child.ts';

/** Where a link reports what is worth an event line. */
export type ReadinessNote = (level: 'info' | 'warn', message: string) => void;

/** What the uWSGI Emperor bytes that carry no lifecycle meaning show as the vassal's status. */
const UWSGI_STATUS: Partial<Record<number, string>> = {
  1: 'master up (uWSGI 1)',
  5: 'accepting requests (uWSGI 5)',
  17: 'loyal: served its first request (uWSGI 17)',
};

const links = new WeakMap<Supervised, InstanceReadiness>();

/** Feeds a supervised process's readiness events to `dispatch` (the runner); nothing for a process without any. */
export function listenReadiness(sup: Supervised, dispatch: (ev: LifecycleEvent) => void): void {
  links.get(sup)?.listen(dispatch);
}

/** The readiness channel of one spawned instance, from its spawn until its process exits. */
export class InstanceReadiness {
  private dispatch: ((ev: LifecycleEvent) => void) | null = null;
  private readonly early: LifecycleEvent[] = [];
  private pid: number | null = null;
  private lineSeen = false;
  private readonly onMessage = (message: string): void => this.onNotify(message);

  constructor(
    private readonly note: ReadinessNote,
    private readonly receiver: Pick<ReadinessPort, 'watch' | 'unwatch'> | null,
    private readonly channel: EmperorPipe | null,
    private readonly readyLine: RegExp | null,
    /** what the protocol replaces: the vassal's stop and reload signals. */
    private readonly signals: { stop: string; reload: string | null },
  ) {}

  /** The uWSGI channel's bytes land here. */
  onByte(byte: number): void {
    const status = UWSGI_STATUS[byte];
    if (status !== undefined) this.emit({ type: 'status', text: status });
    const msg = decodeVassalByte(byte);
    const { event, note } = vassalByteEvent(msg);
    if (event !== null) this.emit(event);
    if (note !== null) this.note(msg.kind === 'loyal' ? 'info' : 'warn', note);
  }

  /** Each batch of whole output lines (stdout and stderr, unprefixed) while it has not matched yet. */
  readonly onLines = (text: string): void => {
    if (this.readyLine === null || this.lineSeen) return;
    for (const line of text.split('\n')) {
      if (!this.readyLine.test(line)) continue;
      this.lineSeen = true;
      this.emit({ type: 'ready', how: `a ready log line: ${line.length > 200 ? `${line.slice(0, 200)}...` : line}` });
      return;
    }
  };

  /** The process exists: its messages are accepted from now on, and the child holds its pipe end. */
  spawned(pid: number): void {
    this.pid = pid;
    this.receiver?.watch(pid, this.onMessage);
    this.channel?.handedOver();
  }

  /** The runner takes the events from here on; those that came first follow once it has seen the spawn. */
  listen(dispatch: (ev: LifecycleEvent) => void): void {
    this.dispatch = dispatch;
    if (this.early.length === 0) return;
    const early = this.early.splice(0);
    queueMicrotask(() => {
      for (const ev of early) dispatch(ev);
    });
  }

  /** The supervised process, stopped and reloaded over the protocol where it speaks it; the link ends with it. */
  wrap(sup: Supervised): Supervised {
    const channel = this.channel;
    const wrapped: Supervised =
      channel === null
        ? sup
        : overriding(sup, {
            signal: (sig) => {
              if (sig !== this.signals.stop || !channel.send(EMPEROR_STOP)) sup.signal(sig);
            },
            signalMain: (sig) => (sig === this.signals.reload && channel.send(EMPEROR_RELOAD)) || sup.signalMain(sig),
          });
    sup.onExit(() => this.end());
    links.set(wrapped, this);
    return wrapped;
  }

  /** The spawn failed or the process is gone: stop listening, close the pipe. */
  end(): void {
    if (this.pid !== null) this.receiver?.unwatch(this.pid, this.onMessage);
    this.channel?.close();
    this.dispatch = null;
  }

  private onNotify(text: string): void {
    for (const m of parseNotify(text)) {
      const { event, note } = notifyEvent(m);
      if (event !== null) this.emit(event);
      if (note !== null) this.note(m.kind === 'errno' ? 'warn' : 'info', note);
    }
  }

  private emit(ev: LifecycleEvent): void {
    if (this.dispatch !== null) this.dispatch(ev);
    else this.early.push(ev);
  }
}
