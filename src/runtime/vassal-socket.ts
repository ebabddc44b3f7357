// The one listening socket of a vassal: bound when first needed, kept across restarts and reloads.
import { formatSocketAddress, type SocketAddress } from '../config/socket-address.ts';
import type { VassalSpec } from '../config/spec.ts';
import type { ListenSocket } from '../io/listen-socket.ts';
import type { FsRights } from '../io/fs-rights.ts';
import { vassalRights } from './run-as.ts';
import { socketsClash } from '../core/socket-clash.ts';
import type { Failed } from '../core/errors.ts';

export { socketsClash } from '../core/socket-clash.ts';

/**
 * Binds and listens (injected so unit tests need no socket). `rights`: the vassal's, for the file
 * operations a Unix socket takes (its directory, a stale file, the socket file itself).
 */
export type OpenSocket = (a: SocketAddress, rights: FsRights | null) => ListenSocket | Failed;

// The socket held, with its `ready` promise until it listens.
interface Held {
  key: string;
  address: SocketAddress;
  socket: ListenSocket;
  ready: Promise<string | null> | null;
}

/** Holds a vassal's socket; a changed address closes the old one and binds the new. */
export class VassalSocket {
  private held: Held | null = null;

  constructor(private readonly open: OpenSocket) {}

  /**
   * The descriptor for the spec's `socket` (null without one), or an error naming FILE:LINE of the
   * key. `ready` is null once it listens; until then it settles with null or the error to show.
   */
  acquire(spec: VassalSpec): { fd: number | null; ready: Promise<string | null> | null } | { error: string } {
    if (spec.socket === null) {
      this.close();
      return { fd: null, ready: null };
    }
    const key = formatSocketAddress(spec.socket);
    const where = `${spec.file}:${spec.lines['socket'] ?? 1}: \`socket = ${key}\``;
    if (this.held?.key === key) return { fd: this.held.socket.fd, ready: this.held.ready };
    // A new address is bound before the old one closes, and the old one is kept if it cannot be:
    // instances started from it keep being restartable. Only a clash (the same port or path, which
    // the old socket still holds) closes the old one first; the vassal stops its instances before.
    if (this.held !== null && socketsClash(this.held.address, spec.socket)) this.close();
    const opened = this.open(spec.socket, vassalRights(spec));
    if ('error' in opened) return { error: `${where}: ${opened.error}` };
    this.close();
    const held: Held = { key, address: spec.socket, socket: opened, ready: null };
    held.ready = opened.ready.then((why) => {
      if (this.held === held) {
        held.ready = null;
        // A socket that cannot listen is dropped: the next start binds again.
        if (why !== null) this.held = null;
      }
      return why === null ? null : `${where}: ${why}`;
    });
    this.held = held;
    return { fd: opened.fd, ready: held.ready };
  }

  /** Whether `fd` is the socket held now, listening. */
  holds(fd: number): boolean {
    return this.held !== null && this.held.socket.fd === fd && this.held.ready === null;
  }

  /** The address held, if any (for display). */
  get address(): string | null {
    return this.held?.key ?? null;
  }

  /** Closes the socket (a Unix socket's file is removed): the vassal is gone or no longer has one. */
  close(): void {
    this.held?.socket.close();
    this.held = null;
  }
}
