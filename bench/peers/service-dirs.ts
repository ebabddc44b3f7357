// runit and s6 share the daemontools layout: a scan directory of service directories, each with a `run` script.
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogProgram, Program } from './types.ts';

/** Writes DIR/NAME/run that execs the program's child. */
export function writeService(parent: string, p: Program): void {
  const dir = join(parent, p.name);
  mkdirSync(dir, { recursive: true });
  writeScript(join(dir, 'run'), `#!/bin/sh\nexec ${p.argv.join(' ')}\n`);
}

/** Writes a service whose output goes to a logger service (DIR/NAME/log/run = logger). */
export function writeLoggingService(parent: string, p: LogProgram, logger: string): void {
  const dir = join(parent, p.name);
  mkdirSync(join(dir, 'log'), { recursive: true });
  writeScript(join(dir, 'run'), `#!/bin/sh\nexec 2>&1\n${p.shell}\n`);
  writeScript(join(dir, 'log', 'run'), `#!/bin/sh\nexec ${logger}\n`);
}

/** Writes an executable script. */
export function writeScript(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** svlogd's and s6-log's files: archived `@TAI64N.s` (names sort by time), then `current`. */
export function tai64Files(logDir: string): string[] {
  if (!existsSync(logDir)) return [];
  const archived = readdirSync(logDir).filter((f) => f.startsWith('@')).sort().map((f) => join(logDir, f));
  return existsSync(join(logDir, 'current')) ? [...archived, join(logDir, 'current')] : archived;
}
