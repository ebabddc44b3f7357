// --supervisor-rpc and its --supervisor-rpc-auth: the address checked at start, the file when the emperor starts.
import { resolve } from 'node:path';
import { parseSupervisorRpc } from '../config/supervisor-rpc-address.ts';
import type { EmperorSettings } from './emperor-options.ts';
import type { Bad } from './etcd-options.ts';

/** The two settings; `bad` throws the caller's usage error (no import cycle with emperor-options.ts). */
export function supervisorRpcSettings(given: Map<string, string>, bad: Bad): Pick<EmperorSettings, 'supervisorRpc' | 'supervisorRpcAuth'> {
  const text = given.get('supervisor-rpc');
  const auth = given.get('supervisor-rpc-auth');
  const authPath = auth === undefined ? null : resolve(auth);
  if (text === undefined || text === 'off') {
    if (authPath !== null) bad('--supervisor-rpc-auth needs --supervisor-rpc (the interface it protects)');
    return { supervisorRpc: null, supervisorRpcAuth: null };
  }
  const parsed = parseSupervisorRpc(text, authPath !== null);
  if (!parsed.ok) bad(`--supervisor-rpc: ${parsed.message}`);
  return { supervisorRpc: parsed.value, supervisorRpcAuth: authPath };
}
