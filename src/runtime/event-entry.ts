// An event the ring keeps, in fewer bytes: what it shares with many other events (its keys, its level and
// states, its nulls) is one template for all of them; only its own values (vassal, instance, pid) are its.
import type { StreamEvent } from '../control/protocol.ts';
import type { EventRecord } from './event-log.ts';

// Keys whose string values come from a few words (levels, states, signal names): part of the template.
const WORD_KEYS: ReadonlySet<string> = new Set(['level', 'state', 'from', 'signal']);
const MAX_WORD = 32;
/** Templates kept at most (a few dozen are made: levels x transitions); past it, events are kept as written. */
const MAX_TEMPLATES = 512;
const OWN = Symbol('own value');

interface Template {
  keys: readonly string[];
  /** per key, the value every event of the template has, or OWN where each has its own. */
  values: readonly unknown[];
}

// Up to three own values, in key order; 56 bytes where a record of 9 keys takes 96.
class PackedEvent {
  constructor(
    readonly template: Template,
    readonly a: unknown,
    readonly b: unknown,
    readonly c: unknown,
  ) {}
}

/** What the ring keeps of an event: the record as written, or the same packed. */
export type KeptEvent = EventRecord | PackedEvent;

const templates = new Map<string, Template>();

function shared(key: string, value: unknown): boolean {
  if (value === null || value === undefined || typeof value === 'boolean') return true;
  return typeof value === 'string' && value.length <= MAX_WORD && WORD_KEYS.has(key);
}

/** The event in fewer bytes where that saves any; the record itself otherwise (never changed after). */
export function packEvent(record: EventRecord): KeptEvent {
  const keys = Object.keys(record);
  // A record of four keys or fewer is no larger than a packed one.
  if (keys.length <= 4) return record;
  const fields = record as unknown as Record<string, unknown>;
  const own: unknown[] = [];
  let id = '';
  for (const key of keys) {
    const value = fields[key];
    if (shared(key, value)) {
      id += `${key}=${value === undefined ? 'u' : JSON.stringify(value)}\n`;
    } else {
      id += `${key}\n`;
      own.push(value);
    }
  }
  if (own.length > 3) return record;
  let template = templates.get(id);
  if (template === undefined) {
    if (templates.size >= MAX_TEMPLATES) return record;
    template = { keys, values: keys.map((key) => (shared(key, fields[key]) ? fields[key] : OWN)) };
    templates.set(id, template);
  }
  return new PackedEvent(template, own[0], own[1], own[2]);
}

/** The event as its subscribers got it when written: the record's keys in order, then its time. */
export function unpackEvent(kept: KeptEvent, time: number): StreamEvent {
  if (!(kept instanceof PackedEvent)) return Object.assign({}, kept, { time });
  const out: Record<string, unknown> = {};
  const { keys, values } = kept.template;
  const own = [kept.a, kept.b, kept.c];
  let next = 0;
  for (let i = 0; i < keys.length; i++) {
    const value = values[i];
    out[keys[i] as string] = value === OWN ? own[next++] : value;
  }
  out['time'] = time;
  return out as unknown as StreamEvent;
}
