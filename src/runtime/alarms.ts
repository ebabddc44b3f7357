// Alarms: reads the emperor's event stream, lets the pure alarm machine decide, and delivers through the
// transport port, never waiting on it: a slow or hanging alarm never delays supervision.
import type { AlarmSettings, AlarmTarget } from '../config/alarm-config.ts';
import { unknownAlarm } from '../config/alarm-config.ts';
import { alarmStep, INITIAL_ALARM_STATE, type AlarmEffect, type AlarmEvent, type AlarmState } from '../core/alarm-machine.ts';
import { classifyEvent } from '../core/alarm-classify.ts';
import type { AlarmTransport, AttemptResult } from '../io/alarm-send.ts';
import type { EventLog, LiveEvent } from './event-log.ts';
import type { TimePorts } from './ports.ts';

/** A webhook is tried this many times in all; the waits between tries double from the first. */
export const WEBHOOK_ATTEMPTS = 4;
/** The wait before the first retry of a webhook. */
export const WEBHOOK_RETRY_MS = 1000;

/** The `alarm = NAME` lines of a vassal and where they are. */
export interface VassalAlarms {
  names: readonly string[];
  file: string;
  line: number | null;
}

/** What the alarms reach. */
export interface AlarmDeps {
  time: TimePorts;
  /** the transport, or how to load it (the real one loads node:http and node:https at the first alarm sent). */
  transport: AlarmTransport | (() => Promise<AlarmTransport>);
  events: EventLog;
  /** a vassal's own `alarm` lines, or null when it is unknown. */
  alarmsOf(vassal: string): VassalAlarms | null;
  /** the wait before the first webhook retry (tests shorten it). */
  retryMs?: number;
}

/** One row of emperor_alarms_total. */
export interface AlarmCount {
  alarm: string;
  event: string;
  result: string;
  count: number;
}

/** The emperor's alarms: subscribe once, then they run on their own. */
export class Alarms {
  private state: AlarmState = INITIAL_ALARM_STATE;
  private readonly counts = new Map<string, AlarmCount>();
  private readonly reported = new Set<string>();
  private unsubscribe: (() => void) | null = null;
  private lastInvalid: string | null = null;

  constructor(
    private settings: AlarmSettings,
    private readonly deps: AlarmDeps,
  ) {}

  /** Starts reading the event stream. */
  start(): void {
    this.unsubscribe ??= this.deps.events.subscribe((ev) => this.onEvent(ev));
  }

  /** Stops reading it (deliveries under way finish on their own). */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** New settings (SIGHUP re-read --config); what the machine remembers is kept. */
  update(settings: AlarmSettings): void {
    this.settings = settings;
    this.reported.clear();
  }

  /** emperor_alarms_total, row by row. */
  totals(): AlarmCount[] {
    return [...this.counts.values()];
  }

  private onEvent(ev: LiveEvent): void {
    // An INVALID file is reported one line per problem, in a row: one condition, not several.
    const invalidOf = ev.state === 'INVALID' ? (ev.vassal ?? null) : null;
    const repeat = invalidOf !== null && invalidOf === this.lastInvalid;
    this.lastInvalid = invalidOf;
    if (ev.vassal === undefined || repeat) return;
    const inputs = classifyEvent(ev, this.deps.time.clock.now());
    if (inputs.length === 0) return;
    const targets = this.targetsOf(ev.vassal, ev.message !== undefined && /^(found |file changed)/.test(ev.message));
    for (const input of inputs) {
      if (targets.length === 0 && input.type !== 'forget') continue;
      const step = alarmStep(this.state, input, this.settings.policy);
      this.state = step.state;
      for (const effect of step.effects) this.act(effect, targets);
    }
  }

  // The vassal's alarms: its own `alarm` lines and `[emperor]`'s; a name with no section is reported once.
  private targetsOf(vassal: string, fresh: boolean): AlarmTarget[] {
    const own = this.deps.alarmsOf(vassal);
    const out: AlarmTarget[] = [];
    for (const name of [...this.settings.everyVassal, ...(own?.names ?? [])]) {
      const target = this.settings.targets.get(name);
      if (target !== undefined) {
        if (!out.includes(target)) out.push(target);
        continue;
      }
      const key = `${vassal}\u0000${name}`;
      if (fresh) this.reported.delete(key);
      if (this.reported.has(key) || own === null) continue;
      this.reported.add(key);
      const where = `${own.file}:${own.line ?? 0}`;
      this.deps.events.write({ level: 'error', message: `${where}: ${unknownAlarm(name, this.settings.targets)} (E_ALARM_CONFIG)` });
    }
    return out;
  }

  private act(effect: AlarmEffect, targets: readonly AlarmTarget[]): void {
    for (const target of targets) {
      if (!target.events.has(effect.event)) continue;
      if (effect.type === 'held') {
        this.count(target.name, effect.event, 'held');
        continue;
      }
      const payload = {
        alarm: target.name,
        kind: effect.kind,
        event: effect.event,
        vassal: effect.vassal,
        message: effect.message,
        held_back: effect.heldBack,
        time: new Date(this.deps.time.wallMs()).toISOString(),
      };
      void this.deliver(target, effect.event, payload);
    }
  }

  private async deliver(target: AlarmTarget, event: AlarmEvent, payload: Record<string, string | number>): Promise<void> {
    const line = JSON.stringify(payload);
    const transport = typeof this.deps.transport === 'function' ? await this.deps.transport() : this.deps.transport;
    let outcome: AttemptResult;
    if (target.how.type === 'exec') {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(payload)) env[`EMPEROR_EVENT_${k.toUpperCase()}`] = String(v);
      outcome = await transport.exec(target.how.command, `${line}\n`, env, target.timeoutMs);
    } else {
      outcome = await this.post(transport, target, target.how.url, target.how.headerFile, line, event);
    }
    this.count(target.name, event, outcome.result);
    if (outcome.result !== 'sent') {
      this.deps.events.write({ level: 'error', message: `alarm ${target.name} (${payload.kind} ${event} of ${payload.vassal}) not delivered: ${outcome.detail} (E_ALARM_FAILED)` });
    }
  }

  // A webhook: up to WEBHOOK_ATTEMPTS tries, the waits doubling; each retry counted.
  private async post(transport: AlarmTransport, target: AlarmTarget, url: string, headerFile: string | null, body: string, event: AlarmEvent): Promise<AttemptResult> {
    let headers: Record<string, string> = {};
    if (headerFile !== null) {
      try {
        headers = transport.headers(headerFile);
      } catch (err) {
        return { result: 'failed', detail: `webhook-header-file ${headerFile}: ${(err as Error).message}` };
      }
    }
    let wait = this.deps.retryMs ?? WEBHOOK_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      const r = await transport.post(url, body, headers, target.timeoutMs);
      if (r.result === 'sent' || attempt >= WEBHOOK_ATTEMPTS) return attempt > 1 && r.result !== 'sent' ? { ...r, detail: `${r.detail} (after ${attempt} tries)` } : r;
      this.count(target.name, event, 'retried');
      await new Promise<void>((resolve) => this.deps.time.timers.setTimeout(resolve, wait));
      wait *= 2;
    }
  }

  private count(alarm: string, event: string, result: string): void {
    const key = `${alarm}\u0000${event}\u0000${result}`;
    const row = this.counts.get(key) ?? { alarm, event, result, count: 0 };
    row.count++;
    this.counts.set(key, row);
  }
}
