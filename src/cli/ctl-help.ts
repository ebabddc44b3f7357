// The help texts of emperorctl and each of its commands.

/** emperorctl's commands, in the order its help lists them; the README's table is checked against it. */
export const CTL_COMMANDS = ['status', 'start', 'stop', 'restart', 'reload', 'signal', 'logs', 'wait', 'rescan', 'events', 'top', 'help'] as const;

/** One of CTL_COMMANDS. */
export type CtlCommand = (typeof CTL_COMMANDS)[number];

/** `emperorctl --help`. */
export const CTL_HELP = `Usage: emperorctl [--socket PATH] [--stats PATH] COMMAND [ARGS]

Queries and steers a running emperor.

Commands:
  status [NAME...] [--json]           what runs, what fails and why
  start NAME... | --all               start (and release a stop)
  stop NAME... | --all                stop and hold STOPPED until start or a change of its file
  restart NAME... | --all             restart, one instance at a time
  reload NAME... | --all              send reload-signal, or restart without one
  signal SIG NAME...                  send a signal to the vassal's processes
  logs NAME [-n N] [-f]               the last N lines (default 20), following with -f
  wait NAME [--for STATE] [--timeout DUR]
                                      block until NAME is in STATE (default running, 30s)
  events [NAME...] [--json] [--since DUR]
                                      follow every state change, reload and file problem
  top [NAME...]                       a live view of every vassal (a terminal)
  rescan                              reconcile the vassal directory now
  help [COMMAND]                      this text, or a command's

Global options (before the command):
  --socket PATH   control socket  (default <state-dir>/control.sock)
  --stats PATH    stats socket    (default <state-dir>/stats.sock)
  The state dir is $EMPEROR_STATE_DIR, else /run/emperor as root, else
  $XDG_RUNTIME_DIR/emperor or /tmp/emperor-$UID, as for emperor.

Exit codes: 0 done; 1 refused or failed (unknown vassal, timeout, did not start);
2 bad usage; 3 the emperor is not reachable.
`;

/** Per-command help: one text for every command but `help` (the type makes a missing one a compile error). */
export const COMMAND_HELP: Record<string, string> & Record<Exclude<CtlCommand, 'help'>, string> = {
  status: `Usage: emperorctl status [NAME...] [--json]

A table of every vassal (or those named): NAME, STATE, PID, UPTIME, RESTARTS, CPU, RSS,
LAST EXIT, with the error under each vassal that has one. --json prints the stats document.
Colour only on a terminal; NO_COLOR turns it off.
`,
  start: `Usage: emperorctl start NAME... | --all [--no-wait] [--timeout DUR]

Starts the vassals (after their depends are RUNNING) and waits until each is RUNNING or
has failed (default 30s). Exit 1 if one did not reach RUNNING.
`,
  stop: `Usage: emperorctl stop NAME... | --all [--no-wait] [--timeout DUR]

Stops the vassals: stop-signal to the process group, SIGKILL after stop-timeout. They stay
STOPPED, across rescans, until \`emperorctl start\` or a change of their file.
`,
  restart: `Usage: emperorctl restart NAME... | --all [--no-wait] [--timeout DUR]

Restarts the vassals, one instance at a time, each RUNNING before the next.
`,
  reload: `Usage: emperorctl reload NAME... | --all [--no-wait] [--timeout DUR]

Sends reload-signal to each process of the vassals that have one; restarts the others.
`,
  signal: `Usage: emperorctl signal SIG NAME...

Sends SIG (HUP, USR1, TERM, 15...) to the main process of each instance.
`,
  logs: `Usage: emperorctl logs NAME [-n N] [-f]

The last N lines (default 20) of the vassal's log file, or of what it printed to the
emperor's output when it has no log file; -f keeps following, across log rotation.
`,
  wait: `Usage: emperorctl wait NAME [--for STATE] [--timeout DURATION]

Blocks until the vassal is in STATE (any state name, case-insensitive; default running).
Exit 1 on timeout (default 30s). A vassal not loaded yet is waited for too.
`,
  events: `Usage: emperorctl events [NAME...] [--json] [--since DURATION]

Follows, until interrupted, every state change, reload, health result, restart cause and
file problem of the vassals (all, or those named), one line each; --json prints one JSON
object per line. --since 10m first replays the recent ones the emperor keeps (its last
5000 events). A client that reads too slowly is dropped with a note (exit 1).
`,
  top: `Usage: emperorctl top [NAME...]

A live view, refreshed every second: one row per vassal with its state, pids, uptime,
restarts, CPU, RSS and a sparkline of the last minute's CPU, the error of a failing one
underneath, and the latest events. Keys: up/down (or j/k) select, s sort, / filter,
r restart, x stop, g start (each asks y/n), q or Ctrl-C quit. Needs a terminal; NO_COLOR
turns colour off.
`,
  rescan: `Usage: emperorctl rescan

Reconciles the vassal directory now, as the watcher and the periodic rescan do.
`,
};
