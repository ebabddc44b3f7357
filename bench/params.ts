// The sizes of a quick run (about 3 minutes) and a full one, and the command line of the driver.
import type { Params } from './scenarios/common.ts';

/** Full: the figures (500 and 1,000 programs, 30 s settle and CPU window, 200 MB of lines; fleets 3 times). */
export const FULL: Params = { repeat: 3, rounds: 20, fleetSizes: [10, 500, 1000], busySize: 500, settleMs: 30_000, cpuWindowMs: 30_000, statusRounds: 20, logBytes: 200_000_000, logMaxBytes: 50 * 2 ** 20, logBackups: 5 };

/** Quick: the same scenarios, smaller. */
export const QUICK: Params = { repeat: 1, rounds: 3, fleetSizes: [10, 50], busySize: 50, settleMs: 2_000, cpuWindowMs: 3_000, statusRounds: 3, logBytes: 20_000_000, logMaxBytes: 5 * 2 ** 20, logBackups: 5 };

/** Scenario names, and the aliases that select them. */
export const SCENARIOS = ['pickup', 'respawn', 'fleet', 'logs-8k', 'logs-128k'] as const;
/** One scenario of the suite. */
export type Scenario = (typeof SCENARIOS)[number];
const ALIASES: Record<string, Scenario[]> = {
  'start-all': ['fleet'],
  footprint: ['fleet'],
  idle: ['fleet'],
  'idle-cpu': ['fleet'],
  status: ['fleet'],
  shutdown: ['fleet'],
  logs: ['logs-8k', 'logs-128k'],
};

/** The driver's options. */
export interface Options {
  quick: boolean;
  only: Scenario[];
  peers: string[] | null;
  install: boolean;
  out: string | null;
  writeReadme: boolean;
  sizes: number[] | null;
  repeat: number | null;
  /** the supervisors whose fleets repeat (null: all) */
  repeatPeers: string[] | null;
}

/** Parses `npm run bench -- [--quick] [--only a,b] [--peers a,b] [--sizes 10,500] [--repeat N] [--repeat-peers a,b] [--no-install] [--out FILE] [--write-readme]`. */
export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { quick: false, only: [...SCENARIOS], peers: null, install: true, out: null, writeReadme: false, sizes: null, repeat: null, repeatPeers: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--quick') o.quick = true;
    else if (flag === '--full') o.quick = false;
    else if (flag === '--only') {
      o.only = [];
      for (const name of value().split(',')) {
        const picked = (SCENARIOS as readonly string[]).includes(name) ? [name as Scenario] : ALIASES[name];
        if (picked === undefined) throw new Error(`--only: unknown scenario ${name} (one of ${[...SCENARIOS, ...Object.keys(ALIASES)].join(', ')})`);
        for (const s of picked) if (!o.only.includes(s)) o.only.push(s);
      }
    } else if (flag === '--peers') o.peers = value().split(',');
    else if (flag === '--sizes') o.sizes = value().split(',').map(Number);
    else if (flag === '--repeat') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--repeat: a whole number of fleet runs, 1 or more (got ${v})`);
      o.repeat = n;
    } else if (flag === '--repeat-peers') o.repeatPeers = value().split(',');
    else if (flag === '--no-install') o.install = false;
    else if (flag === '--out') o.out = value();
    else if (flag === '--write-readme') o.writeReadme = true;
    else throw new Error(`unknown option ${a} (--quick, --only, --peers, --sizes, --repeat N, --repeat-peers a,b, --no-install, --out FILE, --write-readme)`);
  }
  return o;
}
