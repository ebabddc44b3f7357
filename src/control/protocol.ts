// The documents and messages the emperor serves; emperorctl imports only this file.

/** The stats document of SPEC section 7. Times are Unix seconds. */
export interface StatsDocument {
  version: string;
  pid: number;
  started_at: number;
  vassals_dir: string;
  totals: Record<string, number>;
  vassals: VassalStats[];
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
  backoff_until: number | null;
  cpu_percent: number | null;
  rss_bytes: number | null;
  health: 'passing' | 'failing' | 'unknown' | null;
  error: string | null;
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
