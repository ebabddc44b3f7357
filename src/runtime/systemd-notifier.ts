// What the emperor tells systemd (SPEC section 10): READY=1 once the initial scan has started every
// autostart vassal, STATUS= as counts change (at most once a second), WATCHDOG=1 at half of
// WATCHDOG_USEC, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on shutdown.
import { notifyAddress, SdNotify } from '../io/sd-notify.ts';
import type { TimePorts, TimerHandle } from './ports.ts';

/** The shortest gap between two STATUS= lines. */
export const STATUS_MIN_GAP_MS = 1000;

/** READY, RELOADING and STOPPING are tried again this many times (100 ms apart) on a full queue. */
const STATE_RETRIES = 20;


export interface NotifierHooks {
  /** The STATUS= text now, e.g. `12 vassals: 10 RUNNING, 2 STARTING`. */
  status(): string;
  warn(message: string): void;
  /** Monotonic microseconds, for RELOADING's MONOTONIC_USEC. */
  monotonicUsec(): bigint;
  /** the clock that spaces STATUS= lines and the timers that send them and the watchdog pings. */
  time: Pick<TimePorts, 'clock' | 'timers'>;
}

/** Talks to systemd; a no-op object is never made: `fromEnv` returns null without NOTIFY_SOCKET. */
export class SystemdNotifier {
  private lastStatus = '';
  private lastStatusAt = -Infinity;
  private statusTimer: TimerHandle | null = null;
  private watchdog: TimerHandle | null = null;
  private ready = false;
  private watchdogEvery: number | null = null;

  /** A notifier for `env` (the emperor's own), or null when systemd is not listening. */
  static fromEnv(env: Record<string, string | undefined>, pid: number, hooks: NotifierHooks): SystemdNotifier | null {
    const socket = env.NOTIFY_SOCKET;
    if (socket === undefined || socket === '') return null;
    const address = notifyAddress(socket);
    if (typeof address === 'string') {
      hooks.warn(`${address}; not notifying systemd`);
      return null;
    }
    const n = new SystemdNotifier(new SdNotify(address, socket, hooks.warn), hooks);
    n.startWatchdog(env, pid);
    return n;
  }

  private constructor(
    private readonly sd: SdNotify,
    private readonly hooks: NotifierHooks,
  ) {}

  /** Pings every half of WATCHDOG_USEC when it is set for this pid, from the event loop itself. */
  private startWatchdog(env: Record<string, string | undefined>, pid: number): void {
    const usec = Number(env.WATCHDOG_USEC ?? '');
    if (!Number.isInteger(usec) || usec <= 0) return;
    if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return;
    // The ping rides the event loop: a blocked or spinning emperor stops pinging and systemd restarts it.
    const every = Math.max(1, Math.floor(usec / 2000));
    this.watchdogEvery = every;
    this.watchdog = this.hooks.time.timers.setInterval(() => this.sd.send(['WATCHDOG=1']), every);
    this.watchdog.unref?.();
  }

  /** The watchdog period in ms, or null without one (for the start-up line). */
  get watchdogMs(): number | null {
    return this.watchdogEvery;
  }

  /** The initial scan (or a reload) has started every autostart vassal. */
  markReady(): void {
    this.ready = true;
    this.lastStatus = this.hooks.status();
    this.lastStatusAt = this.hooks.time.clock.now();
    this.sd.send(['READY=1', `STATUS=${this.lastStatus}`], STATE_RETRIES);
  }

  /** SIGHUP: reloading until the next markReady(). */
  reloading(): void {
    this.ready = false;
    this.sd.send(['RELOADING=1', `MONOTONIC_USEC=${this.hooks.monotonicUsec()}`, 'STATUS=reloading'], STATE_RETRIES);
  }

  /** Shutdown has begun. */
  stopping(): void {
    this.ready = false;
    this.hooks.time.timers.clearTimeout(this.statusTimer);
    this.statusTimer = null;
    this.sd.send(['STOPPING=1', 'STATUS=stopping every vassal'], STATE_RETRIES);
  }

  /** Some vassal changed state: a STATUS= line soon, when the counts differ. */
  changed(): void {
    if (!this.ready || this.statusTimer !== null) return;
    const wait = Math.max(0, this.lastStatusAt + STATUS_MIN_GAP_MS - this.hooks.time.clock.now());
    this.statusTimer = this.hooks.time.timers.setTimeout(() => {
      this.statusTimer = null;
      if (!this.ready) return;
      const status = this.hooks.status();
      if (status === this.lastStatus) return;
      this.lastStatus = status;
      this.lastStatusAt = this.hooks.time.clock.now();
      this.sd.send([`STATUS=${status}`]);
    }, wait);
    this.statusTimer.unref?.();
  }

  close(): void {
    this.hooks.time.timers.clearInterval(this.watchdog);
    this.hooks.time.timers.clearTimeout(this.statusTimer);
    this.watchdog = this.statusTimer = null;
  }
}
