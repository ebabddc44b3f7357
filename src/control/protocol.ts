// The documents and messages the emperor serves; emperorctl imports only this file.

/** The stats document of SPEC section 7. Times are Unix seconds. */
export interface StatsDocument {
  version: string;
  pid: number;
  started_at: number;
  /** the first vassal directory, or null when every source is etcd. */
  vassals_dir: string | null;
  totals: Record<string, number>;
  vassals: VassalStats[];
  /** one entry per --vassals source, in order (absent from emperors before sources existed). */
  sources?: SourceStats[];
}

/** One vassal source in the stats document. */
export interface SourceStats {
  kind: 'dir' | 'etcd';
  address: string;
  healthy: boolean;
  detail: string | null;
}

/** What `fleet` answers: every live emperor under the etcd prefix, by host name (its presence key). */
export type FleetDocument = Record<string, FleetHost>;

/** One live emperor of the fleet, as its presence key says. */
export interface FleetHost {
  version: string;
  pid: number;
  /** its metrics address (HOST:PORT), or null when off. */
  metrics: string | null;
  totals: Record<string, number>;
}

/** One vassal in the stats document. */
export interface VassalStats {
  name: string;
  file: string;
  dialect: 'vassal' | 'uwsgi' | 'supervisord' | null;
  state: string;
  pids: number[];
  started_at: number | null;
  restarts: number;
  last_exit: { code: number | null; signal: string | null; at: number } | null;
  /** the next run of a scheduled vassal (Unix seconds); null without a `schedule`. */
  next_run: number | null;
  backoff_until: number | null;
  cpu_percent: number | null;
  rss_bytes: number | null;
  health: 'passing' | 'failing' | 'unknown' | null;
  error: string | null;
  /** what the vassal last said about itself (sd_notify STATUS=, the uWSGI Emperor protocol); null when nothing. */
  status_text: string | null;
  /** restarts the watchdog made (a missed WATCHDOG=1 or uWSGI heartbeat); also counted in `restarts`. */
  watchdog_restarts: number;
  instances: InstanceStats[];
}

/** One instance of a vassal. */
export interface InstanceStats {
  index: number;
  pid: number | null;
  state: string;
  started_at: number | null;
  restarts: number;
}

/** The control protocol's version; a request with another major version is refused. */
export const PROTOCOL_VERSION = 1;

/** Longest request line the control socket accepts, in bytes. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** Commands that act on named vassals (or all of them). */
export type ActionCommand = 'start' | 'stop' | 'restart' | 'reload';

/** One request: one JSON object on one line. */
export type ControlRequest =
  | { v: number; cmd: 'status'; view?: 'table' }
  | { v: number; cmd: ActionCommand; names: string[]; all?: boolean }
  | { v: number; cmd: 'signal'; signal: string; names: string[] }
  | { v: number; cmd: 'logs'; name: string; lines: number; follow?: boolean }
  | { v: number; cmd: 'rescan' }
  | { v: number; cmd: 'run'; name: string }
  | { v: number; cmd: 'fleet' }
  | { v: number; cmd: 'events'; names: string[]; since_ms?: number };

/**
 * The columns of one row of `{"cmd":"status","view":"table"}`, in order: only what `emperorctl status` shows
 * (about a fifth of the stats document's bytes). `last_exit` is `[code, signal, at]` or null.
 */
export const STATUS_TABLE_COLUMNS = ['name', 'state', 'pids', 'started_at', 'restarts', 'cpu_percent', 'rss_bytes', 'last_exit', 'error', 'status_text', 'next_run'] as const;

/** One row of the table view, in the order of STATUS_TABLE_COLUMNS. */
export type StatusTableRow = [
  name: string,
  state: string,
  pids: number[],
  started_at: number | null,
  restarts: number,
  cpu_percent: number | null,
  rss_bytes: number | null,
  last_exit: [code: number | null, signal: string | null, at: number] | null,
  error: string | null,
  status_text: string | null,
  next_run: number | null,
];

/** What `{"cmd":"status","view":"table"}` answers: the stats document's summary, and one array per vassal. */
export interface StatusTable {
  version: string;
  pid: number;
  started_at: number;
  vassals_dir: string | null;
  totals: Record<string, number>;
  sources?: SourceStats[];
  /** STATUS_TABLE_COLUMNS, so a client can tell a layout it does not know (and read the stats socket instead). */
  columns: readonly string[];
  rows: StatusTableRow[];
}

/** Machine-readable reasons a request failed; emperorctl maps them to exit codes. */
export type ControlErrorCode = 'bad-request' | 'unknown-vassal' | 'refused' | 'failed' | 'version';

/** One response line; `logs` with `follow` is followed by `line` messages until the client hangs up. */
export type ControlResponse =
  | { v: number; ok: true; result: unknown }
  | { v: number; ok: false; error: { code: ControlErrorCode; message: string } }
  | { v: number; line: string }
  | { v: number; event: StreamEvent };

/** One event of the live stream (`emperorctl events`, GET /events): an event line of the emperor, its time in Unix ms. */
export interface StreamEvent {
  time: number;
  level: 'info' | 'warn' | 'error';
  vassal?: string;
  instance?: number;
  state?: string;
  /** the state it left (instance transitions only). */
  from?: string;
  pid?: number | null;
  code?: number | null;
  signal?: string | null;
  message?: string;
}

/** What `logs` answers first. */
export interface LogsResult {
  /** the vassal's log file(s), which the client reads itself; empty when it logs to the emperor's output. */
  files: string[];
  /** the last lines from the in-memory ring, when there is no file. */
  lines: string[];
}

/** What an action answers: what happened to each vassal. */
export interface ActionResult {
  done: Array<{ name: string; message: string }>;
}
