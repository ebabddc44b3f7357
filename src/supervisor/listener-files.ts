// Finds the [eventlistener:x] sections of the vassal directory's supervisord files, re-reading only files that changed.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { trustProblem } from '../config/file-trust.ts';
import { groupName, userName } from '../io/accounts.ts';
import { basename } from 'node:path';
import { readIni } from '../config/ini-source.ts';
import { buildSupervisordParts, supervisordDialect } from '../config/supervisord-dialect.ts';
import type { ListenerSpec } from '../config/supervisord-listener.ts';
import { stripVassalExtension } from '../config/vassal-files.ts';
import type { DirEntry } from '../io/vassal-dir.ts';

/** Largest file looked into, as the emperor's own reader. */
const MAX_FILE_BYTES = 1024 * 1024;

/** A listener and the owner of its file (who it runs as with --tyrant). */
export interface FoundListener {
  spec: ListenerSpec;
  owner: { uid: number; gid: number };
}

// What a file with listeners or log events gave, and the version of the file (its listing entry) it was read from.
interface Seen {
  entry: DirEntry;
  listeners: readonly FoundListener[];
  /** programs with stdout_events_enabled / stderr_events_enabled, by name. */
  logEvents: ReadonlyMap<string, { stdout: boolean; stderr: boolean }>;
}

// What a file without listeners or log events has (nearly every file): shared, never changed.
const NO_LISTENERS: readonly FoundListener[] = Object.freeze([]);
const NO_LOG_EVENTS: ReadonlyMap<string, { stdout: boolean; stderr: boolean }> = new Map();

/** What the directory asks for: every listener (keyed file + name) and the programs whose output is sent as events. */
export interface ListenerFiles {
  listeners: Map<string, FoundListener>;
  logEvents: Map<string, { stdout: boolean; stderr: boolean }>;
}

const TRUE = /^(true|yes|on|1)$/i;

/** Reads the directory; a file that became invalid keeps its last good listeners (as a vassal keeps running). */
export class ListenerFileScanner {
  /**
   * Per file, the listing entry it was last read at: the entry alone for a file with nothing for the
   * listeners (nearly every file), a Seen for the others. An entry is the same object while the file
   * is unchanged (the lister's, shared with the emperor's reconcile), so an unchanged file is not opened.
   */
  private readonly seen = new Map<string, DirEntry | Seen>();

  constructor(
    /** the vassal directory's files now (the emperor's own listing); throws when it cannot be read. */
    private readonly list: () => readonly DirEntry[],
    private readonly env: Record<string, string | undefined>,
    private readonly warn: (message: string) => void,
    /** a root emperor acts only on files root (or, with --tyrant, their owner alone) can change. */
    private readonly trust: { root: boolean; tyrant: boolean },
  ) {}

  /** The listeners the directory holds now. */
  scan(): ListenerFiles {
    let entries: readonly DirEntry[] = [];
    try {
      entries = this.list();
    } catch {
      // the emperor reports an unreadable directory itself
    }
    const present = new Set(entries.map((e) => e.path));
    for (const path of this.seen.keys()) if (!present.has(path)) this.seen.delete(path);
    const out: ListenerFiles = { listeners: new Map(), logEvents: new Map() };
    for (const entry of entries) {
      const seen = this.read(entry);
      if (seen === null) continue;
      for (const l of seen.listeners) out.listeners.set(`${entry.path}\0${l.spec.name}`, l);
      for (const [k, v] of seen.logEvents) out.logEvents.set(k, v);
    }
    return out;
  }

  // What a file gives now (null: nothing for the listeners); read again only when its entry is new.
  private read(entry: DirEntry): Seen | null {
    const { path } = entry;
    const known = this.seen.get(path);
    const before = known === undefined || isEntry(known) ? null : known;
    if (known !== undefined && (before === null ? known : before.entry) === entry) return before;
    // Read from one descriptor and judged by that descriptor's owner and mode, as the emperor reads vassal files.
    let fd: number | null = null;
    let text: string;
    let owner: { uid: number; gid: number };
    try {
      fd = openSync(path, 'r');
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) return before;
      const untrusted = this.trust.root ? trustProblem('file', path, st, this.trust.tyrant, { user: userName, group: groupName }) : null;
      if (untrusted !== null) {
        if (/eventlistener:/.test(readFileSync(fd, 'utf8'))) this.warn(`${path}: its event listeners are not run: ${untrusted}`);
        return this.keep(entry, NO_LISTENERS, NO_LOG_EVENTS);
      }
      owner = { uid: st.uid, gid: st.gid };
      text = readFileSync(fd, 'utf8');
    } catch {
      return before;
    } finally {
      if (fd !== null) closeSync(fd);
    }
    if (!/^\s*\[\s*(eventlistener:|program:)/m.test(text) || !/eventlistener:|_events_enabled/.test(text)) return this.keep(entry, NO_LISTENERS, NO_LOG_EVENTS);
    const doc = readIni(path, text, { ...supervisordDialect.readOptions, maxProblems: Infinity });
    const built = buildSupervisordParts(doc, { file: path, name: stripVassalExtension(basename(path)), env: this.env });
    const errors = [...doc.problems, ...built.problems].filter((p) => !p.warning);
    if (errors.length > 0) {
      if (built.listeners.length > 0 && before !== null && before.listeners.length > 0) this.warn(`${path} is invalid; its event listeners keep running as they were`);
      return this.keep(entry, before?.listeners ?? NO_LISTENERS, before?.logEvents ?? NO_LOG_EVENTS);
    }
    const logEvents = new Map<string, { stdout: boolean; stderr: boolean }>();
    for (const section of doc.sections) {
      if (!section.name.startsWith('program:')) continue;
      const flags = { stdout: false, stderr: false };
      for (const e of section.entries) {
        if (e.key.toLowerCase() === 'stdout_events_enabled') flags.stdout = TRUE.test(e.value.trim());
        if (e.key.toLowerCase() === 'stderr_events_enabled') flags.stderr = TRUE.test(e.value.trim());
      }
      if (flags.stdout || flags.stderr) logEvents.set(section.name.slice('program:'.length).trim(), flags);
    }
    return this.keep(entry, built.listeners.map((spec) => ({ spec, owner })), logEvents);
  }

  // Records what a file gave at this entry: the entry alone when it is nothing.
  private keep(entry: DirEntry, listeners: readonly FoundListener[], logEvents: ReadonlyMap<string, { stdout: boolean; stderr: boolean }>): Seen | null {
    if (listeners.length === 0 && logEvents.size === 0) {
      this.seen.set(entry.path, entry);
      return null;
    }
    const seen: Seen = { entry, listeners, logEvents };
    this.seen.set(entry.path, seen);
    return seen;
  }
}

function isEntry(v: DirEntry | Seen): v is DirEntry {
  return !('listeners' in v);
}
