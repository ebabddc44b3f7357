// The V8 flags the emperor sets for itself before its code loads, so `node bin/emperor.js`, `npm start`
// and the systemd unit need none on the node command line. A flag of the same kind given by the operator
// (node's command line or NODE_OPTIONS) wins: it is left as given.
//
// - `--semi-space-growth-factor=1`: V8 doubles its young generation (up to 2 x 16 MiB) whenever a burst of
//   allocation survives a scavenge, as loading the modules and starting every vassal do, and rarely gives it
//   back: at 1,000 vassals that slack was most of the footprint. Kept at its first 2 x 1 MiB.
// - `--max-opt=1`: JavaScript runs interpreted, then as Sparkplug's baseline code; TurboFan, the optimising
//   compiler, never runs. The emperor waits on the kernel nearly all the time; TurboFan's code, the working
//   memory its threads leave in their malloc arenas and the compiler's own pages of the node binary cost
//   about 2-3 MB (PSS, 500 vassals), and bought nothing measured but the stats document's rendering
//   (9 -> 15 ms at 1,000 vassals; start-all, respawn, log CPU and idle CPU unchanged or better).

/** Each flag, and the operator's own flags that mean they chose its kind themselves. */
export const EMPEROR_V8_FLAGS = [
  { flag: '--semi-space-growth-factor=1', own: /semi[-_]space/ },
  { flag: '--max-opt=1', own: /^--(max[-_]opt|(no[-_])?(opt|turbofan|maglev|sparkplug|jitless))(=|$)/ },
];

/** The flags to set, given node's execArgv and NODE_OPTIONS (the operator's own flags left alone). */
export function emperorV8Flags(execArgv, nodeOptions) {
  const given = execArgv.concat((nodeOptions ?? '').split(/\s+/)).filter((a) => a.startsWith('--'));
  return EMPEROR_V8_FLAGS.filter(({ own }) => !given.some((a) => own.test(a))).map(({ flag }) => flag);
}
