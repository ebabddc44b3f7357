// A fake vassal directory for runtime unit tests: files held in memory, listed with stamps that change
// on every write, read through the real (pure) parser, as the real reader versions them.
import type { DirEntry, DirWatch, FileStamp } from '../../../src/io/vassal-dir.ts';
import type { Desired } from '../../../src/core/reconcile.ts';
import type { VassalDirectory, VassalFiles } from '../../../src/runtime/emperor-ports.ts';
import { parseVassalFile, formatProblem } from '../../../src/config/parse-file.ts';
import { vassalNameOf } from '../../../src/config/vassal-files.ts';

/** The directory the fake vassal files live in. */
export const FAKE_DIR = '/fake/vassals';

// One file: its text and the stamp of its current version.
interface FakeFile {
  text: string;
  stamp: FileStamp;
}

/** An in-memory vassal directory with a watch the test fires by hand. */
export class FakeVassalDir implements VassalDirectory, VassalFiles {
  readonly path = FAKE_DIR;
  private readonly files = new Map<string, FakeFile>();
  private readonly versions = new Map<string, { stamp: FileStamp; version: string }>();
  private writes = 0;
  private stamps = 0;
  /** set to make the listing fail (an unreadable directory). */
  unreadable: string | null = null;
  /** watchers registered by the emperor. */
  readonly watchers: Array<() => void> = [];
  closedWatches = 0;

  /** Writes (creates or replaces) a file; a new stamp, so a new version. */
  write(fileName: string, text: string): void {
    this.writes++;
    this.files.set(fileName, { text, stamp: { mtimeMs: this.writes, ctimeMs: this.writes, size: text.length, ino: this.writes, dev: 1, uid: 0, gid: 0, mode: 0o100644 } });
    this.changed();
  }

  /** Removes a file. */
  remove(fileName: string): void {
    this.files.delete(fileName);
    this.changed();
  }

  /** Renames a file (a new name for the same text). */
  rename(from: string, to: string): void {
    const f = this.files.get(from);
    if (f === undefined) throw new Error(`no file ${from}`);
    this.files.delete(from);
    this.files.set(to, f);
    this.changed();
  }

  list(): DirEntry[] {
    if (this.unreadable !== null) throw new Error(this.unreadable);
    return [...this.files.keys()]
      .sort()
      .filter((n) => vassalNameOf(n) !== null)
      .map((fileName) => ({ path: `${FAKE_DIR}/${fileName}`, fileName, stamp: this.files.get(fileName)!.stamp }));
  }

  trustProblem(): string | null {
    return null;
  }

  watch(onChange: () => void): DirWatch {
    this.watchers.push(onChange);
    return { close: async () => void this.closedWatches++ };
  }

  /** The real reader's contract, without the file system: parse each new version, name clashes are errors. */
  read(entries: DirEntry[]): Desired[] {
    const out = new Map<string, Desired>();
    for (const e of entries) {
      const f = this.files.get(e.fileName);
      if (f === undefined) continue;
      let v = this.versions.get(e.path);
      if (v === undefined || v.stamp !== e.stamp) this.versions.set(e.path, (v = { stamp: e.stamp, version: `v${++this.stamps}` }));
      const parsed = parseVassalFile(e.path, f.text, {});
      const errors = parsed.problems.filter((p) => !p.warning).map(formatProblem);
      const names = parsed.vassals.length > 0 ? parsed.vassals.map((s) => s.name) : [vassalNameOf(e.fileName) ?? e.fileName];
      for (const name of names) {
        const prior = out.get(name);
        if (prior !== undefined) {
          out.set(name, { ...prior, spec: null, error: `${e.path}:1: vassal name ${name} is also defined by ${prior.file}; rename one of the files`, version: `${prior.version}+${v.version}` });
          continue;
        }
        const spec = parsed.vassals.find((s) => s.name === name) ?? null;
        out.set(name, { name, file: e.path, version: v.version, spec: errors.length > 0 ? null : spec, error: errors.length > 0 ? errors.join('\n') : null });
      }
    }
    return [...out.values()];
  }

  private changed(): void {
    for (const w of this.watchers) w();
  }
}
