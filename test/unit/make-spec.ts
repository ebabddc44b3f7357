// A full VassalSpec with the SPEC section 3 defaults, so a test names only what it changes.
import type { VassalSpec } from '../../src/config/spec.ts';

/** A valid native vassal `web` in /etc/emperor/vassals, with every key at its default. */
export function makeSpec(overrides: Partial<VassalSpec> = {}): VassalSpec {
  return {
    name: 'web',
    file: '/etc/emperor/vassals/web.ini',
    dialect: 'vassal',
    command: ['/usr/bin/node', 'server.js'],
    directory: '/etc/emperor/vassals',
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
    depends: [],
    healthCheck: null,
    healthInterval: 10_000,
    healthTimeout: 2000,
    healthRetries: 3,
    maxRss: null,
    pidfile: null,
    pidfileBy: 'daemon',
    uwsgiApp: false,
    instanceNames: [],
    lines: { command: 2 },
    ...overrides,
  };
}
