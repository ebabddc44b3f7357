// The one listening socket of a vassal: bound when first needed, kept across restarts and reloads.
import { formatSocketAddress, type SocketAddress } from '../config/socket-address.ts';
import type { VassalSpec } from '../config/spec.ts';
import type { ListenSocket } from '../io/listen-socket.ts';

/** Binds and listens (injected so unit tests need no socket). */
export type OpenSocket = (a: SocketAddress) => ListenSocket | { error: string };

/** Holds a vassal's socket; a changed address closes the old one and binds the new. */
export class VassalSocket {
  private held: { key: string; socket: ListenSocket } | null = null;

  constructor(private readonly open: OpenSocket) {}

  /** The descriptor for the spec's `socket` (null without one), or an error naming FILE:LINE of the key. */
  acquire(spec: VassalSpec): { fd: number | null } | { error: string } {
    if (spec.socket === null) {
      this.close();
      return { fd: null };
    }
    const key = formatSocketAddress(spec.socket);
    if (this.held?.key === key) return { fd: this.held.socket.fd };
    this.close();
    const opened = this.open(spec.socket);
    if ('error' in opened) {
      return { error: `${spec.file}:${spec.lines['socket'] ?? 1}: \`socket = ${key}\`: ${opened.error}` };
    }
    this.held = { key, socket: opened };
    return { fd: opened.fd };
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
