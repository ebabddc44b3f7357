// What a diagnostic started, ended at its end or on Ctrl-C: registered cleanups and temp dirs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Cleanups registered so far, run newest first. */
const cleanups: Array<() => Promise<void>> = [];

/** Registers a cleanup to run at the end or on Ctrl-C; returns a function that runs it once and unregisters it. */
export function onCleanup(fn: () => Promise<void>): () => Promise<void> {
  let done = false;
  const once = async (): Promise<void> => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(once);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
  cleanups.push(once);
  return once;
}

/** Runs every registered cleanup, newest first. */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups[cleanups.length - 1];
    if (fn === undefined) break;
    await fn();
  }
}

/** On SIGINT or SIGTERM, cleans up what the bench started and exits 130. */
export function cleanupOnInterrupt(): void {
  const handler = (sig: NodeJS.Signals): void => {
    process.stderr.write(`\n${sig}: cleaning up\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** A fresh temp dir under os.tmpdir(), removed at cleanup. */
export function tempRoot(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
