// An output pair from the native helper: a 1 MiB pipe, or socketpair(2) from an older helper.
import { Socket, type SocketConstructorOpts } from 'node:net';
import { errnoName, type NativeHelper } from './native.ts';
import { closeSync } from 'node:fs';
import { pairOf, readBuffer, sinkSlot, socketEnd, type OutputPair, type ReadEnd } from './output-pair.ts';
import { nativeReadEnd } from './pipe-reader.ts';

/**
 * Size asked for the pipes of the native helper (F_SETPIPE_SZ; 1 MiB is Linux's default pipe-max-size):
 * a child writing small chunks fills it between two of the emperor's reads instead of waking it at each.
 * Memory is taken only by what is waiting in it.
 */
export const PIPE_BYTES = 1024 * 1024;

/**
 * Size of a quiet pipe (Linux's default): a 1 MiB pipe takes ~15 KB more kernel memory (its slot array:
 * 17.4 KB against 2.4 KB) for as long as it is that size, so a log pipe grows to PIPE_BYTES only while
 * its child writes fast (log-pipe), and shrinks back when the child is quiet again.
 */
export const QUIET_PIPE_BYTES = 64 * 1024;

// A pair from the native helper: a 1 MiB pipe (cheaper per small write than a socket: no buffer
// allocated and freed per write, and 1 MiB between two reads instead of ~200 KiB), or socketpair(2)
// from a helper built before pipePair. The emperor's end is read by the helper's one pipe reader
// (pipe-reader.ts) from the sink on, or by a net.Socket when the helper has no reader (what arrives
// before a sink is set is then held for it). A pipe starts at `startBytes` when the helper can resize
// it later (pipeSize), else at PIPE_BYTES. The child's end is a plain descriptor.
export function nativePair(helper: NativeHelper, startBytes: number = PIPE_BYTES): OutputPair {
  const resizable = helper.pipeSize !== undefined;
  const fds = helper.pipePair !== undefined ? helper.pipePair(resizable ? startBytes : PIPE_BYTES) : helper.socketPair();
  if (typeof fds === 'number') throw Object.assign(new Error(`${helper.pipePair !== undefined ? 'pipe' : 'socketpair'}: ${errnoName(fds)}`), { code: errnoName(fds) });
  const [mine, theirs] = fds;
  const holds = fds.length === 3 ? fds[2] : 0;
  const reader = nativeReadEnd(helper, mine) ?? socketReader(mine);
  const pipeSize = helper.pipeSize;
  const resize = pipeSize !== undefined && fds.length === 3 ? (bytes: number): number => pipeSize(mine, bytes) : undefined;
  return pairOf(reader, theirs, () => closeSync(theirs), holds, resize);
}

/** `fd` read by a net.Socket into the shared buffer (a helper without the pipe reader). */
export function socketReader(fd: number): ReadEnd {
  const slot = sinkSlot();
  // `onread` is honoured by the constructor (net.connect passes it through there); @types/node lists it
  // only for connect, hence the widened type.
  const opts: SocketConstructorOpts & { onread: { buffer: Buffer; callback: (n: number, buf: Buffer) => boolean } } = {
    fd,
    readable: true,
    writable: false,
    onread: { buffer: readBuffer(), callback: (n, buf) => slot.deliver(buf, n) },
  };
  return socketEnd(new Socket(opts), slot.setSink);
}
