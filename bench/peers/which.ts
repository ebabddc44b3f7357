// Finding a peer's binary on PATH without running it.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** The full path of an executable on PATH, or null. */
export function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next
    }
  }
  return null;
}

/** The version of a Debian package, or null. */
export function debVersion(pkg: string, run: (cmd: string, args: string[]) => string): string | null {
  try {
    const v = run('dpkg-query', ['-W', '-f=${Version}', pkg]).trim();
    return v === '' ? null : v;
  } catch {
    return null;
  }
}
