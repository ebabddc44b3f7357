// supervisord's fault codes (supervisor/xmlrpc.py Faults) and the error that carries one to the client.

/** Fault codes, as supervisord numbers them; clients (supervisorctl, Ansible) branch on these. */
export const Faults = {
  UNKNOWN_METHOD: 1,
  INCORRECT_PARAMETERS: 2,
  BAD_ARGUMENTS: 3,
  SIGNATURE_UNSUPPORTED: 4,
  SHUTDOWN_STATE: 6,
  BAD_NAME: 10,
  BAD_SIGNAL: 11,
  NO_FILE: 20,
  NOT_EXECUTABLE: 21,
  FAILED: 30,
  ABNORMAL_TERMINATION: 40,
  SPAWN_ERROR: 50,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  SUCCESS: 80,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const;

/** A fault's name. */
export type FaultName = keyof typeof Faults;

/** A method's failure: `faultString` is `NAME` or `NAME: extra`, as supervisord's RPCError builds it. */
export class RpcFault extends Error {
  readonly code: number;
  constructor(readonly fault: FaultName, extra?: string) {
    super(extra === undefined ? fault : `${fault}: ${extra}`);
    this.code = Faults[fault];
  }
}
