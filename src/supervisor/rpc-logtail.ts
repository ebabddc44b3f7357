// GET /logtail/NAME[/stderr]: supervisorctl's `tail -f`, a chunked response that follows the log until the client leaves.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fleet } from './fleet.ts';
import { lookup } from './rpc-actions.ts';
import { logSource } from './rpc-logs.ts';

/** Bytes of the file's end sent first, as supervisord's tail_f_producer does. */
const FIRST_BYTES = 1024;
/** How often a followed file is looked at for growth. */
const POLL_MS = 200;
/** A reader that lets this much pile up unread loses the rest. */
const BACKLOG_BYTES = 1024 * 1024;

function readRange(path: string, from: number, to: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, Math.min(to - from, BACKLOG_BYTES)));
    const got = buf.length === 0 ? 0 : readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/** Serves one /logtail request; 404 for an unknown process or a missing file, as supervisord. */
export function serveLogtail(fleet: Fleet, req: IncomingMessage, res: ServerResponse, rest: string): void {
  const decoded = decodeURIComponent(rest.replace(/^\/+/, ''));
  const slash = decoded.indexOf('/');
  const name = slash < 0 ? decoded : decoded.slice(0, slash);
  const channel = slash < 0 ? 'stdout' : decoded.slice(slash + 1);
  let source: ReturnType<typeof logSource>;
  try {
    const { process } = lookup(fleet, name);
    if (process === null || (channel !== 'stdout' && channel !== 'stderr')) throw new Error('not found');
    source = logSource(fleet, process, channel);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  if (source.kind === 'none') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no log file\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain;charset=utf-8' });
  const send = (chunk: Buffer | string): void => {
    if (res.writableLength < BACKLOG_BYTES) res.write(chunk);
  };
  let stop: () => void;
  if (source.kind === 'memory') {
    const first = fleet.memoryTail(source.vassal, 20).map((l) => `${l}\n`).join('');
    if (first !== '') send(first);
    stop = fleet.followMemory(source.vassal, (line) => send(`${line}\n`));
  } else {
    const path = source.path;
    let fd: number | null = null;
    let offset = 0;
    try {
      fd = openSync(path, 'r');
      offset = fstatSync(fd).size;
    } finally {
      if (fd !== null) closeSync(fd);
    }
    const head = readRange(path, Math.max(0, offset - FIRST_BYTES), offset);
    if (head.length > 0) send(head);
    const timer = setInterval(() => {
      const size = sizeOf(path);
      if (size === null) return;
      // Rotated or cleared: start again from the top of the new file.
      if (size < offset) offset = 0;
      if (size === offset) return;
      const chunk = readRange(path, offset, size);
      offset += chunk.length;
      send(chunk);
    }, POLL_MS);
    stop = () => clearInterval(timer);
  }
  req.socket.setTimeout(0);
  res.on('close', stop);
}
