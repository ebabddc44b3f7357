// A vassal's log files: one writer per file, shared by every stream and instance that writes to it.
import { LogWriter } from '../io/log-writer.ts';
import type { VassalSpec } from '../config/spec.ts';
import { resolveLogPath } from './spawn-plan.ts';
import { vassalRights } from './run-as.ts';
import type { FsRights } from '../io/fs-rights.ts';
import type { VassalServices } from './vassal-services.ts';

/** Owns the log writers of one vassal and counts what they had to drop. */
export class VassalLogs {
  /** made with the first log file: most vassals have none. */
  private writers: Map<string, LogWriter> | null = null;
  /** log bytes dropped because a log file could not be written (a counter). */
  droppedBytes = 0;

  constructor(
    private readonly name: string,
    private readonly services: VassalServices,
  ) {}

  /** The writer of a log file (whole lines only), with the spec's rotation and the vassal's rights. */
  writer(path: string, spec: VassalSpec, rights: FsRights | null = vassalRights(spec)): LogWriter {
    const rotation = { maxSize: spec.logMaxSize, backups: spec.logBackups };
    const writers = (this.writers ??= new Map());
    let w = writers.get(path);
    if (w === undefined) {
      const events = this.services.events;
      w = new LogWriter(path, rotation, {
        dropped: (bytes, reason, first) => {
          this.droppedBytes += bytes;
          if (first) events.write({ level: 'error', vassal: this.name, message: `log lines dropped: ${reason}; counting them (emperor_log_dropped_bytes_total) until it works again` });
        },
        resumed: () => events.write({ level: 'info', vassal: this.name, message: `log ${path} is writable again` }),
      });
      writers.set(path, w);
    }
    w.rotation = rotation;
    w.rights = rights;
    return w;
  }

  /** A log path no instance of `spec` uses any more: its writer closes once the old processes' streams end. */
  prune(spec: VassalSpec): void {
    const live = new Set<string>();
    for (let i = 0; i < spec.instances; i++) {
      for (const p of [spec.log, spec.stdoutLog, spec.stderrLog]) if (p !== null) live.add(resolveLogPath(p, i, this.services.logDir));
    }
    for (const [path, w] of this.writers ?? []) {
      if (live.has(path)) continue;
      this.writers?.delete(path);
      void w.idle().then(() => w.close());
    }
  }

  /** Writes what every writer holds and closes them (the vassal is gone). */
  async closeAll(): Promise<void> {
    await Promise.all([...(this.writers?.values() ?? [])].map((w) => w.close()));
    this.writers?.clear();
  }
}
