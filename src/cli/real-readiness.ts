// The real readiness port: the vassals' notify socket (native receiver, sender pids from SCM_CREDENTIALS)
// and one uWSGI Emperor socketpair per instance. Built here, beside real-ports.ts, and only here.
import { EmperorChannel } from '../io/emperor-channel.ts';
import { NotifyReceiver } from '../io/notify-receiver.ts';
import { nativeHelper } from '../io/native.ts';
import { failed } from '../core/errors.ts';
import type { ReadinessPort } from '../runtime/emperor-ports.ts';

/** The readiness port of a real emperor; the notify socket is bound at `notifyPath` on first use. */
export function realReadiness(notifyPath: string): ReadinessPort {
  let receiver: NotifyReceiver | null = null;
  return {
    pipesAvailable: typeof nativeHelper() !== 'string',
    notifySocket() {
      if (receiver === null) {
        const opened = NotifyReceiver.open(notifyPath);
        if ('error' in opened) return failed('E_READINESS_UNAVAILABLE', opened.error);
        receiver = opened;
      }
      return receiver.path;
    },
    watch: (pid, handler) => receiver?.watch(pid, handler),
    unwatch: (pid, handler) => receiver?.unwatch(pid, handler),
    openPipe(onByte) {
      const channel = EmperorChannel.open(onByte);
      if ('error' in channel) return failed('E_READINESS_UNAVAILABLE', channel.error);
      const childFd = channel.childEnd;
      return { childFd, handedOver: () => channel.handedOver(), send: (b) => channel.send(b), close: () => channel.close() };
    },
    close() {
      receiver?.close();
      receiver = null;
    },
  };
}

/** Why this emperor cannot receive sd_notify messages with their sender's pid (no native helper, or one too old); null when it can. */
export function notifyUnavailable(): string | null {
  const helper = nativeHelper();
  if (typeof helper === 'string') return helper;
  return helper.notifyListen === undefined ? 'the native helper was built from an older version; run `npm rebuild` in the emperor package' : null;
}
