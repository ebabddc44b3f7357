// The vassal directory as the emperor reads it on each reconcile: listed, checked, parsed; a directory
// it cannot use is reported once (and its recovery once), and the running vassals are kept meanwhile.
import type { Desired } from '../core/reconcile.ts';
import type { DirEntry } from '../io/vassal-dir.ts';
import type { EventLog } from './event-log.ts';
import type { VassalDirectory, VassalFiles } from './emperor-ports.ts';

/** Reads the directory's desired vassals, or null when it cannot be used now. */
export class DirectoryReader {
  private dirError: string | null = null;

  constructor(
    private readonly dir: VassalDirectory,
    private readonly files: VassalFiles,
    private readonly events: EventLog,
  ) {}

  /** The desired vassals now; null (reported once) while the directory is unreadable or untrusted. */
  read(): Desired[] | null {
    const dir = this.dir;
    let entries: DirEntry[];
    try {
      entries = dir.list();
      const untrusted = dir.trustProblem();
      if (untrusted !== null) throw new Error(untrusted);
      if (this.dirError !== null) this.events.info(`vassal directory ${dir.path} is readable again`);
      this.dirError = null;
    } catch (err) {
      const msg = `cannot use vassal directory ${dir.path}: ${(err as Error).message}; running vassals are kept, and no file is read until it is fixed`;
      if (msg !== this.dirError) this.events.write({ level: 'error', message: msg });
      this.dirError = msg;
      return null;
    }
    return this.files.read(entries);
  }
}

/** Writes an INVALID file's problems, one line each, and whether the previous version runs on. */
export function reportInvalid(events: EventLog, name: string, error: string, keptRunning: boolean): void {
  for (const line of error.split('\n')) events.write({ level: 'error', vassal: name, state: 'INVALID', message: line });
  if (keptRunning) events.write({ level: 'warn', vassal: name, message: 'the previous version keeps running until the file is fixed' });
}
