// What the driver needs from each supervisor under test: one adapter per peer, the same scenarios for all.

/** One program to supervise: its child is `sleep 1000000 MARKER`. */
export interface Program {
  name: string;
  marker: string;
  /** argv of the child */
  argv: string[];
}

/** One program that writes to a rotating log: a shell line, and where the log goes. */
export interface LogProgram {
  name: string;
  /** a /bin/sh line (waits on a FIFO, writes, then execs the marker sleep) */
  shell: string;
  /** directory that holds only this program's log files */
  logDir: string;
  maxBytes: number;
  backups: number;
}

/** A supervisor instance on its own temp dir. */
export interface Supervisor {
  /** start the supervisor with these programs; resolves when its own process(es) are started */
  start(programs: readonly Program[]): Promise<void>;
  /** start with one logging program instead */
  startLogging?(program: LogProgram): Promise<void>;
  /** the log files of the logging program, oldest first */
  logFiles?(program: LogProgram): string[];
  /** what logging cannot show for this peer (e.g. no rotation), or null */
  logNote?: string;
  /** prepare a program so that add() is only the pickup action */
  stage(program: Program): Promise<void>;
  /** the pickup action: a file renamed in, and the command the peer needs (if any) */
  add(program: Program): Promise<void>;
  /** one status read over the peer's socket, or undefined when it has none */
  statusSocket?: () => Promise<void>;
  /** one status of every program with the peer's CLI, or undefined when it has none */
  statusCli?: () => Promise<void>;
  /** the pids whose trees are the supervisor's own processes (children are subtracted by marker) */
  roots(): number[];
  /** stop all: the peer's own way; resolves when the command was issued (the driver waits for the processes) */
  stop(): Promise<void>;
  /** kill whatever is left (by pid) and remove temp files */
  cleanup(): Promise<void>;
}

/** How to make a Supervisor, plus what is needed to know if it can run here. */
export interface Peer {
  name: string;
  /** null when it can run; else why not (binary missing ...) */
  missing(): string | null;
  version(): string;
  create(dir: string): Supervisor;
  /** how the status rows are labelled for this peer */
  statusLabels: { socket: string | null; cli: string | null };
}
