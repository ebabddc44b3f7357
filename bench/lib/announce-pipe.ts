// Children that announce themselves (`NAME PID`) through a FIFO, each line stamped when the bench read it.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';
import { nowMs } from './summary.ts';

/** One line a child wrote to the pipe: `NAME PID`, stamped when the bench read it. */
export interface Announcement {
  name: string;
  pid: number;
  at: number;
}

/**
 * A FIFO that started children append `NAME PID` to. Held open read-write so writers never block
 * and it never reaches EOF; read on the event loop (epoll), each line stamped with nowMs().
 */
export class AnnouncePipe {
  readonly path: string;
  private readonly socket: Socket;
  private buffer = '';
  private readonly seen: Announcement[] = [];
  private waiter: { match: (a: Announcement) => boolean; resolve: (a: Announcement) => void } | null = null;

  constructor(dir: string) {
    this.path = join(dir, 'announce.fifo');
    const r = spawnSync('mkfifo', ['-m', '600', this.path], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mkfifo ${this.path} failed: ${r.stderr || r.error?.message || `status ${r.status}`}`);
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    this.socket.on('error', () => {});
    onCleanup(async () => {
      this.socket.destroy();
      try {
        closeSync(fd);
      } catch {
        // closed with the socket
      }
    });
  }

  /** A shell command line that announces NAME and its own pid, then becomes `sleep 100000`. */
  command(name: string): string {
    return `sh -c 'echo ${name} $$ >> ${this.path} && exec sleep 100000'`;
  }

  /** The same as argv, for spawning directly. */
  argv(name: string): string[] {
    return ['sh', '-c', `echo ${name} $$ >> ${this.path} && exec sleep 100000`];
  }

  /** Every announcement so far. */
  get all(): readonly Announcement[] {
    return this.seen;
  }

  /** The first announcement after index `from` matching `match`, or a rejection after `timeoutMs`. */
  next(from: number, match: (a: Announcement) => boolean, timeoutMs: number): Promise<Announcement> {
    const found = this.seen.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolveA, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no announcement within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        match,
        resolve: (a) => {
          clearTimeout(timer);
          this.waiter = null;
          resolveA(a);
        },
      };
    });
  }

  private onData(text: string): void {
    const at = nowMs();
    this.buffer += text;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      const m = /^(\S+) (\d+)$/.exec(line);
      if (m === null) continue;
      const a: Announcement = { name: m[1] ?? '', pid: Number(m[2]), at };
      this.seen.push(a);
      if (this.waiter?.match(a)) this.waiter.resolve(a);
    }
  }
}
