// Where the emperor's sockets live by default; shared by emperor and emperorctl (SPEC sections 2 and 8).
import { join } from 'node:path';

/** The default state directory: $EMPEROR_STATE_DIR, /run/emperor as root, else per-user. */
export function defaultStateDir(env: Record<string, string | undefined>, uid: number): string {
  if (env.EMPEROR_STATE_DIR) return env.EMPEROR_STATE_DIR;
  if (uid === 0) return '/run/emperor';
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'emperor');
  return `/tmp/emperor-${uid}`;
}
