// A free loopback port for the etcd the benchmark starts.
import { createServer } from 'node:net';

/** Binds port 0 on 127.0.0.1, reads it, closes. */
export async function freePortNumber(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
