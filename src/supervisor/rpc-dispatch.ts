// One decoded call -> its value or fault: the method table, then system.listMethods/methodHelp/methodSignature/multicall.
import type { Fleet } from './fleet.ts';
import { Faults, RpcFault } from './rpc-faults.ts';
import { SUPERVISOR_METHODS, type RpcMethod } from './rpc-methods.ts';
import type { RpcValue } from './xmlrpc-codec.ts';

/** Calls one system.multicall may carry. */
export const MAX_MULTICALL = 256;

const SYSTEM_METHODS: ReadonlyMap<string, Omit<RpcMethod, 'call'>> = new Map([
  ['system.listMethods', { signature: ['array'], help: 'Return an array listing the available method names' }],
  ['system.methodHelp', { signature: ['string', 'string'], help: "Return a string showing the method's documentation" }],
  ['system.methodSignature', { signature: ['array', 'string'], help: 'Return an array describing the method signature in the form [rtype, ptype, ptype...]' }],
  ['system.multicall', { signature: ['array', 'array'], help: 'Process an array of calls, and return an array of results' }],
]);

function described(name: string): Omit<RpcMethod, 'call'> {
  const found = SUPERVISOR_METHODS.get(name) ?? SYSTEM_METHODS.get(name);
  if (found === undefined) throw new RpcFault('SIGNATURE_UNSUPPORTED');
  return found;
}

function nameParam(params: RpcValue[]): string {
  const name = params[0];
  if (typeof name !== 'string') throw new RpcFault('INCORRECT_PARAMETERS', 'the method name must be a string');
  return name;
}

/** Runs one call; throws RpcFault. */
export async function dispatch(fleet: Fleet, method: string, params: RpcValue[], nested = false): Promise<RpcValue> {
  const found = SUPERVISOR_METHODS.get(method);
  if (found !== undefined) {
    if (params.length > found.signature.length - 1) throw new RpcFault('INCORRECT_PARAMETERS', `${method} takes at most ${found.signature.length - 1} parameter(s)`);
    return found.call(fleet, params);
  }
  switch (method) {
    case 'system.listMethods':
      return [...SUPERVISOR_METHODS.keys(), ...SYSTEM_METHODS.keys()].sort();
    case 'system.methodHelp':
      return described(nameParam(params)).help;
    case 'system.methodSignature':
      return described(nameParam(params)).signature;
    case 'system.multicall': {
      if (nested) throw new RpcFault('INCORRECT_PARAMETERS', 'Recursive system.multicall forbidden');
      const calls = params[0];
      if (!Array.isArray(calls)) throw new RpcFault('INCORRECT_PARAMETERS', 'system.multicall takes an array of calls');
      if (calls.length > MAX_MULTICALL) throw new RpcFault('INCORRECT_PARAMETERS', `at most ${MAX_MULTICALL} calls in one system.multicall`);
      const results: RpcValue[] = [];
      for (const call of calls) results.push(await oneOfMany(fleet, call));
      return results;
    }
    default:
      throw new RpcFault('UNKNOWN_METHOD');
  }
}

// A multicall entry: [value] on success, a fault struct otherwise, as supervisord answers.
async function oneOfMany(fleet: Fleet, call: RpcValue): Promise<RpcValue> {
  try {
    if (call === null || typeof call !== 'object' || Array.isArray(call)) throw new RpcFault('INCORRECT_PARAMETERS', 'No methodName');
    const name = call.methodName;
    if (typeof name !== 'string') throw new RpcFault('INCORRECT_PARAMETERS', 'No methodName');
    if (name === 'system.multicall') throw new RpcFault('INCORRECT_PARAMETERS', 'Recursive system.multicall forbidden');
    const params = call.params ?? [];
    if (!Array.isArray(params)) throw new RpcFault('INCORRECT_PARAMETERS', 'params must be an array');
    return await dispatch(fleet, name, params, true);
  } catch (err) {
    return faultStruct(err);
  }
}

/** `{faultCode, faultString}` for a thrown error; anything but an RpcFault is FAILED. */
export function faultStruct(err: unknown): { faultCode: number; faultString: string } {
  if (err instanceof RpcFault) return { faultCode: err.code, faultString: err.message };
  return { faultCode: Faults.FAILED, faultString: `FAILED: ${(err as Error).message}` };
}
