// Turns --supervisor-rpc on: reads the credentials file, builds the Fleet, opens the server. Loaded only when asked for.
import { readFileSync, statSync, unlinkSync } from 'node:fs';
import { formatSocketAddress, type SocketAddress } from '../config/socket-address.ts';
import { serverUrlOf } from '../config/supervisor-rpc-address.ts';
import type { CommandTarget } from '../runtime/commands.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EventLog } from '../runtime/event-log.ts';
import { fleetOf } from './fleet.ts';
import type { ListenerView } from './process-view.ts';
import { startRpcServer, type Credentials } from './rpc-server.ts';

/** Reads `user:password` from a file only its owner (root, or the emperor's user) can read; throws with the fix. */
export function readCredentials(path: string, uid: number): Credentials {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error(`--supervisor-rpc-auth ${path} is not a regular file`);
    if (st.uid !== 0 && st.uid !== uid) throw new Error(`--supervisor-rpc-auth ${path} is owned by uid ${st.uid}; it must belong to root (chown root ${path})`);
    if ((st.mode & 0o077) !== 0) {
      throw new Error(`--supervisor-rpc-auth ${path} can be read by others (mode ${(st.mode & 0o777).toString(8)}); make it readable by its owner only: chmod 600 ${path}`);
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === undefined ? err : new Error(`--supervisor-rpc-auth ${path} cannot be read (${code}); create it with one \`user:password\` line, mode 600`);
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const line = lines[0] ?? '';
  const colon = line.indexOf(':');
  if (lines.length !== 1 || colon <= 0 || colon === line.length - 1) {
    throw new Error(`--supervisor-rpc-auth ${path} must hold exactly one \`user:password\` line (a non-empty user and password)`);
  }
  return { user: line.slice(0, colon), password: line.slice(colon + 1) };
}

/** Opens supervisord's interface on `address`; returns what closes it. Throws with the reason when it cannot. */
export async function startSupervisorRpc(
  address: SocketAddress,
  authFile: string | null,
  target: CommandTarget,
  events: EventLog,
  clock: Clock,
  listeners: () => ListenerView[] = () => [],
): Promise<() => void> {
  const creds = authFile === null ? null : readCredentials(authFile, process.geteuid?.() ?? 0);
  const fleet = fleetOf(target, (fn) => events.subscribe(fn), clock, listeners);
  const server = await startRpcServer(address, creds, fleet);
  events.info(`supervisord XML-RPC interface on ${formatSocketAddress(address)}${creds === null ? '' : ' (basic auth)'}: supervisorctl -s ${serverUrlOf(address)}`);
  return () => {
    server.close();
    if (address.kind !== 'unix') return;
    try {
      unlinkSync(address.path);
    } catch {
      // already gone
    }
  };
}
