// Finds the [eventlistener:x] sections of the vassal directory's supervisord files, re-reading only files that changed.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { trustProblem } from '../config/file-trust.ts';
import { groupName, userName } from '../io/accounts.ts';
import { basename, join } from 'node:path';
import { readIni } from '../config/ini-source.ts';
import { buildSupervisordParts, supervisordDialect } from '../config/supervisord-dialect.ts';
import type { ListenerSpec } from '../config/supervisord-listener.ts';
import { stripVassalExtension, vassalNameOf } from '../config/vassal-files.ts';

/** Largest file looked into, as the emperor's own reader. */
const MAX_FILE_BYTES = 1024 * 1024;

/** A listener and the owner of its file (who it runs as with --tyrant). */
export interface FoundListener {
  spec: ListenerSpec;
  owner: { uid: number; gid: number };
}

interface Seen {
  stamp: string;
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
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly dir: string,
    private readonly env: Record<string, string | undefined>,
    private readonly warn: (message: string) => void,
    /** a root emperor acts only on files root (or, with --tyrant, their owner alone) can change. */
    private readonly trust: { root: boolean; tyrant: boolean },
  ) {}

  /** The listeners the directory holds now. */
  scan(): ListenerFiles {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => vassalNameOf(n) !== null).sort();
    } catch {
      // the emperor reports an unreadable directory itself
    }
    const present = new Set(names.map((n) => join(this.dir, n)));
    for (const path of this.seen.keys()) if (!present.has(path)) this.seen.delete(path);
    const out: ListenerFiles = { listeners: new Map(), logEvents: new Map() };
    for (const path of present) {
      const seen = this.read(path);
      for (const l of seen.listeners) out.listeners.set(`${path}\0${l.spec.name}`, l);
      for (const [k, v] of seen.logEvents) out.logEvents.set(k, v);
    }
    return out;
  }

  private read(path: string): Seen {
    const before = this.seen.get(path);
    // Read from one descriptor and judged by that descriptor's owner and mode, as the emperor reads vassal files.
    let fd: number | null = null;
    let stamp: string;
    let text: string;
    let owner: { uid: number; gid: number };
    try {
      fd = openSync(path, 'r');
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) return before ?? empty();
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}:${st.uid}:${st.gid}:${st.mode}`;
      if (before?.stamp === stamp) return before;
      const untrusted = this.trust.root ? trustProblem('file', path, st, this.trust.tyrant, { user: userName, group: groupName }) : null;
      if (untrusted !== null) {
        const refused = { ...empty(), stamp };
        this.seen.set(path, refused);
        if (/eventlistener:/.test(readFileSync(fd, 'utf8'))) this.warn(`${path}: its event listeners are not run: ${untrusted}`);
        return refused;
      }
      owner = { uid: st.uid, gid: st.gid };
      text = readFileSync(fd, 'utf8');
    } catch {
      return before ?? empty();
    } finally {
      if (fd !== null) closeSync(fd);
    }
    if (!/^\s*\[\s*(eventlistener:|program:)/m.test(text) || !/eventlistener:|_events_enabled/.test(text)) {
      const next: Seen = { stamp, listeners: NO_LISTENERS, logEvents: NO_LOG_EVENTS };
      this.seen.set(path, next);
      return next;
    }
    const doc = readIni(path, text, { ...supervisordDialect.readOptions, maxProblems: Infinity });
    const built = buildSupervisordParts(doc, { file: path, name: stripVassalExtension(basename(path)), env: this.env });
    const errors = [...doc.problems, ...built.problems].filter((p) => !p.warning);
    if (errors.length > 0) {
      if (built.listeners.length > 0 && before !== undefined && before.listeners.length > 0) this.warn(`${path} is invalid; its event listeners keep running as they were`);
      const kept = { ...(before ?? empty()), stamp };
      this.seen.set(path, kept);
      return kept;
    }
    const logEvents = new Map<string, { stdout: boolean; stderr: boolean }>();
    const next: Seen = { stamp, listeners: built.listeners.map((spec) => ({ spec, owner })), logEvents };
    for (const section of doc.sections) {
      if (!section.name.startsWith('program:')) continue;
      const flags = { stdout: false, stderr: false };
      for (const e of section.entries) {
        if (e.key.toLowerCase() === 'stdout_events_enabled') flags.stdout = TRUE.test(e.value.trim());
        if (e.key.toLowerCase() === 'stderr_events_enabled') flags.stderr = TRUE.test(e.value.trim());
      }
      if (flags.stdout || flags.stderr) logEvents.set(section.name.slice('program:'.length).trim(), flags);
    }
    this.seen.set(path, next);
    return next;
  }
}

function empty(): Seen {
  return { stamp: '', listeners: NO_LISTENERS, logEvents: NO_LOG_EVENTS };
}
