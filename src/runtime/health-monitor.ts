// Probes one instance's health check on a schedule while it has a process, feeding results back.
import type { ProbeResult } from '../io/health-probe.ts';
import type { TimerHandle, Timers } from './ports.ts';

/** While STARTING, probe at least this often, so a ready process turns RUNNING promptly. */
export const STARTING_PROBE_MS = 500;

/** What the monitor needs: where and how to probe, and where results go. */
export interface HealthMonitorHost {
  timers: Timers;
  target(): string | null;
  timing(): { intervalMs: number; timeoutMs: number };
  probe(target: string, timeoutMs: number): Promise<ProbeResult>;
  starting(): boolean;
  report(result: ProbeResult): void;
}

/** One probe at a time, the next one scheduled after the last one's answer. */
export class HealthMonitor {
  private timer: TimerHandle | null = null;
  private generation = 0;

  constructor(private readonly host: HealthMonitorHost) {}

  /** Starts probing (a first probe soon after the spawn). */
  start(): void {
    this.stop();
    const gen = ++this.generation;
    this.schedule(gen, 100);
  }

  /** Stops probing; an answer still in flight is dropped. */
  stop(): void {
    this.generation++;
    this.host.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Whether it is probing. */
  get active(): boolean {
    return this.timer !== null;
  }

  private schedule(gen: number, ms: number): void {
    this.timer = this.host.timers.setTimeout(() => void this.run(gen), ms);
    this.timer.unref?.();
  }

  private async run(gen: number): Promise<void> {
    const target = this.host.target();
    if (target === null || gen !== this.generation) return;
    const { intervalMs, timeoutMs } = this.host.timing();
    const result = await this.host.probe(target, timeoutMs);
    if (gen !== this.generation) return;
    this.host.report(result);
    if (gen !== this.generation) return;
    this.schedule(gen, this.host.starting() ? Math.min(intervalMs, STARTING_PROBE_MS) : intervalMs);
  }
}
