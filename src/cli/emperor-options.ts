// Flags and the `[emperor]` section of --config -> the emperor's options, with SPEC section 2's defaults.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDuration } from '../config/values.ts';
import { closestWord } from '../config/suggest.ts';
import type { LogFormat } from '../runtime/event-log.ts';
import { defaultStateDir } from '../control/paths.ts';
import { UNIT_DEFAULTS, type UnitOptions } from './systemd-unit-options.ts';
import { parseCgroupOption, type CgroupChoice } from '../core/cgroup-layout.ts';
import { UsageError, usageFail } from './usage-error.ts';
import { configAlarms, configOptions, readConfigText } from './emperor-config-file.ts';

/** The usage error lives in its own file; importers of this one keep the name. */
export { UsageError } from './usage-error.ts';
import type { SocketAddress } from '../config/socket-address.ts';
import { NO_ALARMS, type AlarmSettings } from '../config/alarm-config.ts';
import { etcdSettings, vassalSources } from './etcd-options.ts';
import { supervisorRpcSettings } from './supervisor-rpc-options.ts';

/** Every option of `emperor`, resolved. Durations in ms. */
export interface EmperorSettings {
  vassals: string;
  config: string | null;
  stateDir: string;
  stats: string;
  control: string;
  metrics: string;
  logDir: string;
  logFormat: LogFormat;
  sampleIntervalMs: number;
  rescanIntervalMs: number;
  tyrant: boolean;
  uwsgi: string;
  /** after a first uWSGI heartbeat (26), a [uwsgi] vassal silent this long is respawned. */
  uwsgiHeartbeatMs: number;
  /** group that owns the stats socket, so its members can read it; null: the emperor's. */
  statsGroup: string | null;
  /** --cgroup: `auto` (containment wherever it can be), `off` (process groups), or a cgroup v2 directory. */
  cgroup: CgroupChoice;
  /** --web-token: the file holding the status page's bearer token; null: the page is read-only. */
  webToken: string | null;
  /** supervisord's XML-RPC interface (`unix:/PATH` or `tcp://HOST:PORT`), or null when off. */
  supervisorRpc: SocketAddress | null;
  /** the `user:password` file for --supervisor-rpc (required for TCP). */
  supervisorRpcAuth: string | null;
  /** the `[alarm:NAME]` sections and `alarm*` keys of --config. */
  alarms: AlarmSettings;
  /** every --vassals, in order: directories (absolute) and etcd:// URLs (src/cli/vassal-sources.ts). */
  sources: string[];
  /** --host-name: the segment under PREFIX/hosts/ this emperor reads (default: the machine's name). */
  hostName: string | null;
  /** --etcd-*: TLS, auth, the root rule and the presence key's lease. */
  etcd: { allowRoot: boolean; ca: string | null; cert: string | null; key: string | null; auth: string | null; leaseTtlS: number };
}

/** What the command line asks for. */
export type EmperorCommand =
  | { kind: 'run'; settings: EmperorSettings }
  | { kind: 'check'; paths: string[]; tyrant: boolean; config: string | null }
  | { kind: 'systemd-unit'; args: string[]; settings: EmperorSettings; unit: UnitOptions }
  | { kind: 'help' }
  | { kind: 'version' };

const VALUE_OPTIONS = [
  'vassals',
  'config',
  'state-dir',
  'stats',
  'control',
  'metrics',
  'log-dir',
  'log-format',
  'sample-interval',
  'rescan-interval',
  'uwsgi',
  'uwsgi-heartbeat-timeout',
  'stats-group',
  'web-token',
  'supervisor-rpc',
  'supervisor-rpc-auth',
  'host-name',
  'etcd-ca',
  'etcd-cert',
  'etcd-key',
  'etcd-auth',
  'etcd-lease-ttl',
  'cgroup',
] as const;
const FLAG_OPTIONS = ['tyrant', 'etcd-allow-root'] as const;
/** Every option of `emperor` (without `--`), as the parser and the `[emperor]` section accept them; the README's table is checked against it. */
export const ALL_OPTIONS: readonly string[] = [...VALUE_OPTIONS, ...FLAG_OPTIONS];
/** Options of `emperor systemd-unit` alone. */
export const UNIT_ONLY = ['timeout-stop', 'watchdog'] as const;
/** Options whose values are paths: made absolute in a unit's ExecStart. */
const PATH_OPTIONS = new Set(['config', 'etcd-ca', 'etcd-cert', 'etcd-key', 'etcd-auth', 'state-dir', 'stats', 'control', 'log-dir', 'web-token', 'supervisor-rpc-auth']);

function unknown(name: string): UsageError {
  const near = closestWord(name, ALL_OPTIONS);
  return new UsageError(`unknown option --${name}${near ? `; did you mean --${near}?` : ''} (see emperor --help)`);
}

/** Parses argv (without node and the script). */
export function parseEmperorArgs(argv: readonly string[], env: Record<string, string | undefined>, uid: number): EmperorCommand {
  const given = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version' || arg === '-V') return { kind: 'version' };
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      given.set(name, eq < 0 ? 'true' : arg.slice(eq + 1));
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name) && !(UNIT_ONLY as readonly string[]).includes(name)) throw unknown(name);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    // --vassals is repeatable (a directory and etcd combine): kept as lines.
    given.set(name, name === 'vassals' && given.has(name) ? `${given.get(name) ?? ''}\n${value}` : value);
  }
  if (rest[0] === 'check') {
    if (rest.length < 2) throw new UsageError('emperor check needs at least one file or directory');
    const tyrant = given.get('tyrant');
    return { kind: 'check', paths: rest.slice(1), tyrant: tyrant !== undefined && !['false', 'no', 'off', '0'].includes(tyrant.toLowerCase()), config: given.get('config') ?? null };
  }
  if (rest[0] === 'systemd-unit') {
    if (rest.length > 1) throw new UsageError(`unexpected argument ${rest[1]} after systemd-unit`);
    return systemdUnitCommand(given);
  }
  for (const name of UNIT_ONLY) if (given.has(name)) throw new UsageError(`--${name} is an option of \`emperor systemd-unit\``);
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}; subcommands are: check, systemd-unit (see emperor --help)`);
  const config = given.get('config') ?? null;
  // The file is read once, for its [emperor] section and its alarms.
  const text = config === null ? null : readConfigText(config);
  const merged = config === null || text === null ? given : new Map([...configOptions(config, text, ALL_OPTIONS), ...given]);
  return { kind: 'run', settings: { ...resolveSettings(merged, config, env, uid), alarms: config === null || text === null ? NO_ALARMS : configAlarms(config, text) } };
}

// `systemd-unit`: the emperor's options as the service will get them (paths absolute, values checked
// as the emperor would), and the unit's own. --config is read when it exists, for the state directory.
function systemdUnitCommand(given: Map<string, string>): EmperorCommand {
  const unit: UnitOptions = {
    timeoutStop: unitDuration('timeout-stop', given.get('timeout-stop') ?? UNIT_DEFAULTS.timeoutStop),
    watchdog: given.get('watchdog') === 'off' ? '0' : unitDuration('watchdog', given.get('watchdog') ?? UNIT_DEFAULTS.watchdog),
  };
  const own = new Map([...given].filter(([k]) => !(UNIT_ONLY as readonly string[]).includes(k)));
  const config = own.get('config') ?? null;
  const fromConfig = config !== null && existsSync(config) ? configOptions(config, readConfigText(config), ALL_OPTIONS) : new Map<string, string>();
  const settings = resolveSettings(new Map([...fromConfig, ...own]), config, {}, 0);
  const args: string[] = [];
  for (const [name, value] of own) {
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      if (name === 'tyrant' ? settings.tyrant : settings.etcd.allowRoot) args.push(`--${name}`);
    } else if (name === 'vassals') {
      for (const v of settings.sources) args.push('--vassals', v);
    } else {
      args.push(`--${name}`, PATH_OPTIONS.has(name) ? resolve(value) : value);
    }
  }
  return { kind: 'systemd-unit', args, settings, unit };
}

// A duration for the unit, in systemd's syntax: `30s` from 30s, 30000ms, 0.5m...
function unitDuration(name: string, text: string): string {
  return `${Math.ceil(duration(name, text) / 1000)}s`;
}

function duration(name: string, text: string): number {
  const r = parseDuration(text);
  if (!r.ok) throw new UsageError(`--${name}: ${r.message}`);
  if (r.value <= 0) throw new UsageError(`--${name} must be more than 0`);
  return r.value;
}

function resolveSettings(given: Map<string, string>, config: string | null, env: Record<string, string | undefined>, uid: number): EmperorSettings {
  const stateDir = resolve(given.get('state-dir') ?? defaultStateDir(env, uid));
  const logFormat = given.get('log-format') ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`--log-format must be text or json, not ${logFormat}`);
  const metrics = given.get('metrics') ?? '127.0.0.1:9393';
  if (metrics !== 'off' && !/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(metrics)) {
    throw new UsageError(`--metrics must be HOST:PORT or off, not ${metrics}`);
  }
  const tyrant = given.get('tyrant');
  const cgroup = parseCgroupOption(given.get('cgroup') ?? null);
  if ('error' in cgroup) throw new UsageError(cgroup.error);
  return {
    ...vassalSources(given, usageFail),
    config: config === null ? null : resolve(config),
    stateDir,
    stats: resolve(given.get('stats') ?? join(stateDir, 'stats.sock')),
    control: resolve(given.get('control') ?? join(stateDir, 'control.sock')),
    metrics,
    logDir: resolve(given.get('log-dir') ?? join(stateDir, 'logs')),
    logFormat,
    sampleIntervalMs: duration('sample-interval', given.get('sample-interval') ?? '5s'),
    rescanIntervalMs: duration('rescan-interval', given.get('rescan-interval') ?? '30s'),
    tyrant: tyrant === undefined ? false : !['false', 'no', 'off', '0'].includes(tyrant.toLowerCase()),
    uwsgi: given.get('uwsgi') ?? 'uwsgi',
    uwsgiHeartbeatMs: duration('uwsgi-heartbeat-timeout', given.get('uwsgi-heartbeat-timeout') ?? '30s'),
    statsGroup: given.get('stats-group') ?? null,
    webToken: given.has('web-token') ? resolve(given.get('web-token') ?? '') : null,
    ...supervisorRpcSettings(given, usageFail),
    alarms: NO_ALARMS,
    ...etcdSettings(given, usageFail),
    cgroup,
  };
}

