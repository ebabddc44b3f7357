// The uWSGI Emperor protocol's pipe: a socketpair per instance, one end inherited as UWSGI_EMPEROR_FD.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { errnoName, nativeHelper } from './native.ts';

/**
 * One instance's link to the emperor, as `uwsgi --emperor` makes it (core/emperor.c). Both ends
 * are close-on-exec: the child gets its end only as the descriptor it is told about (dup2 clears
 * the flag there), so no other child (the guardian, other vassals) ever holds it, and a vassal
 * whose peer end closes (the emperor is gone) kills itself.
 */
export class EmperorChannel {
  private constructor(
    private readonly socket: Socket,
    /** the child's end, until the child holds it. */
    private childFd: number | null,
  ) {}

  /** A new pair, or why there is none (no native helper, out of descriptors). */
  static open(onByte: (byte: number) => void): EmperorChannel | { error: string } {
    const helper = nativeHelper();
    if (typeof helper === 'string') return { error: `the uWSGI Emperor protocol needs the native helper: ${helper}` };
    const fds = helper.socketPair();
    if (typeof fds === 'number') return { error: `cannot make the uWSGI Emperor pipe (socketpair: ${errnoName(fds)})` };
    const socket = new Socket({ fd: fds[0], readable: true, writable: true });
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) onByte(byte);
    });
    // The vassal's end closed (it exited) or reset: nothing more will come.
    socket.on('error', () => socket.destroy());
    return new EmperorChannel(socket, fds[1]);
  }

  /** The descriptor the child inherits. */
  get childEnd(): number {
    if (this.childFd === null) throw new Error('the child end was already handed over');
    return this.childFd;
  }

  /** Closes the emperor's copy of the child's end once the child holds its own. */
  handedOver(): void {
    if (this.childFd !== null) closeSync(this.childFd);
    this.childFd = null;
  }

  /** Writes one protocol byte; false when the vassal's end is gone. */
  send(byte: number): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(Buffer.from([byte]));
    return true;
  }

  /** Closes both ends still held. */
  close(): void {
    this.handedOver();
    this.socket.destroy();
  }
}
