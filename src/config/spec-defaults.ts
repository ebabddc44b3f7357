// The SPEC section 3 defaults of a vassal in one place, so every dialect starts from the same values.

import type { Dialect, Templated, VassalSpec } from './spec.ts';

/** `log-max-size`: 50M. */
export const DEFAULT_LOG_MAX_SIZE = 50 * 1024 * 1024;
/** `log-backups`: 5. */
export const DEFAULT_LOG_BACKUPS = 5;
/** The most backups `log-backups` may keep. */
export const MAX_LOG_BACKUPS = 1000;

/** What every vassal must be given; the rest has a default. */
export interface SpecBasics {
  name: string;
  file: string;
  dialect: Dialect;
  command: Templated[];
  directory: Templated;
}

/** A vassal with every optional key at its native default. */
export function defaultSpec(basics: SpecBasics): VassalSpec {
  // A plain literal, not a spread of `basics`: V8 then makes it from one template (a spread added the
  // fifty keys one by one, which showed in the profile of a start of 1,000 vassals).
  return {
    name: basics.name,
    file: basics.file,
    dialect: basics.dialect,
    command: basics.command,
    directory: basics.directory,
    env: [],
    user: null,
    group: null,
    umask: null,
    autostart: true,
    instances: 1,
    restart: 'always',
    exitCodes: [0],
    startSecs: 1000,
    startRetries: 0,
    backoff: 1000,
    backoffMax: 60_000,
    stopSignal: 'SIGTERM',
    stopTimeout: 10_000,
    reloadSignal: null,
    log: null,
    stdoutLog: null,
    stderrLog: null,
    logMaxSize: DEFAULT_LOG_MAX_SIZE,
    logBackups: DEFAULT_LOG_BACKUPS,
    depends: [],
    healthCheck: null,
    healthInterval: 10_000,
    healthTimeout: 2000,
    healthRetries: 3,
    maxRss: null,
    memoryMax: null,
    cpuWeight: null,
    pidsMax: null,
    pidfile: null,
    pidfileBy: 'daemon',
    uwsgiApp: false,
    socket: null,
    alarm: [],
    schedule: null,
    scheduleTimezone: null,
    overlap: 'skip',
    catchUp: false,
    instanceNames: [],
    lines: {},
  };
}
