// Process logs as supervisord serves them: readFile/tailFile semantics over the log file, or the lines kept in memory.
import { closeSync, existsSync, fstatSync, openSync, readSync, truncateSync } from 'node:fs';
import type { Fleet } from './fleet.ts';
import type { ProcessView } from './process-view.ts';
import { lookup } from './rpc-actions.ts';
import { RpcFault } from './rpc-faults.ts';

/** Most bytes one read answers with, whatever length was asked. */
export const MAX_READ_BYTES = 1024 * 1024;

/** Lines of in-memory output offered as a vassal's log when it has no file. */
const MEMORY_LINES = 1000;

/** Where a channel's output is: a file path, the in-memory lines, or nowhere. */
export type LogSource = { kind: 'file'; path: string } | { kind: 'memory'; vassal: string } | { kind: 'none'; path: string | null };

/** The source of a process's channel: its log file, or memory for a vassal that logs to the emperor. */
export function logSource(fleet: Fleet, p: ProcessView, channel: 'stdout' | 'stderr'): LogSource {
  const path = channel === 'stdout' ? p.stdoutLog : p.stderrLog;
  if (path !== '') return existsSync(path) ? { kind: 'file', path } : { kind: 'none', path };
  const spec = fleet.spec(p.group);
  const anyFile = spec !== null && (spec.log !== null || spec.stdoutLog !== null || spec.stderrLog !== null);
  return anyFile || spec === null ? { kind: 'none', path: null } : { kind: 'memory', vassal: p.group };
}

function bytesOf(fleet: Fleet, source: LogSource, from: (size: number) => [number, number]): { data: Buffer; size: number } {
  if (source.kind === 'memory') {
    const all = Buffer.from(fleet.memoryTail(source.vassal, MEMORY_LINES).map((l) => `${l}\n`).join(''));
    const [pos, len] = from(all.length);
    return { data: all.subarray(pos, pos + len), size: all.length };
  }
  if (source.kind === 'none') throw new RpcFault('NO_FILE', source.path ?? 'none');
  let fd: number;
  try {
    fd = openSync(source.path, 'r');
  } catch {
    throw new RpcFault('FAILED');
  }
  try {
    const size = fstatSync(fd).size;
    const [pos, len] = from(size);
    const buf = Buffer.alloc(Math.max(0, Math.min(len, MAX_READ_BYTES)));
    const got = buf.length === 0 ? 0 : readSync(fd, buf, 0, buf.length, pos);
    return { data: buf.subarray(0, got), size };
  } finally {
    closeSync(fd);
  }
}

/** supervisord's readFile: a negative offset reads that many bytes from the end (length must be 0). */
export function readLog(fleet: Fleet, name: string, offset: number, length: number, channel: 'stdout' | 'stderr'): string {
  const { process } = lookup(fleet, name);
  if (process === null) throw new RpcFault('BAD_NAME', name);
  if (offset < 0 && length !== 0) throw new RpcFault('BAD_ARGUMENTS');
  if (offset >= 0 && length < 0) throw new RpcFault('BAD_ARGUMENTS');
  const { data } = bytesOf(fleet, logSource(fleet, process, channel), (size) => {
    if (offset < 0) {
      const pos = Math.max(0, size + offset);
      return [pos, Math.min(-offset, size - pos)];
    }
    return [offset, length === 0 ? Math.max(0, size - offset) : length];
  });
  return data.toString('utf8');
}

/** supervisord's tailFile: [bytes, new offset, overflow]. */
export function tailLog(fleet: Fleet, name: string, offset: number, length: number, channel: 'stdout' | 'stderr'): [string, number, boolean] {
  const { process } = lookup(fleet, name);
  if (process === null) throw new RpcFault('BAD_NAME', name);
  const source = logSource(fleet, process, channel);
  if (source.kind === 'none') return ['', 0, false];
  let overflow = false;
  let end = 0;
  const { data } = bytesOf(fleet, source, (size) => {
    let off = offset;
    let len = length;
    end = size;
    if (size > off + len) {
      overflow = true;
      off = size - 1;
    }
    if (off + len > size) {
      if (off > size - 1) len = 0;
      off = size - len;
    }
    return [Math.max(0, off), Math.max(0, len)];
  });
  return [data.toString('utf8'), end, overflow];
}

/** clearProcessLogs: empties the log files (in-memory lines cannot be cleared, and are left). */
export function clearLogs(fleet: Fleet, name: string): true {
  const { process } = lookup(fleet, name);
  if (process === null) throw new RpcFault('BAD_NAME', name);
  for (const path of new Set([process.stdoutLog, process.stderrLog])) {
    if (path === '' || !existsSync(path)) continue;
    try {
      truncateSync(path, 0);
    } catch {
      throw new RpcFault('FAILED', name);
    }
  }
  return true;
}
