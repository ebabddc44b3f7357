// Which files in the vassal directory are vassals, and the vassal name a file gives (SPEC section 3).

/** What a vassal name may hold (names come from file names and `[program:NAME]`). */
export const VASSAL_NAME = /^[A-Za-z0-9_.@-]+$/;

const VASSAL_EXTENSION = /\.(?:ini|conf)$/;
const LEFTOVER_SUFFIXES = ['~', '.swp', '.swx', '.tmp', '.bak', '.rpmnew', '.rpmsave'];

/** Dotfiles and editor or package leftovers, which the emperor never reads. */
export function isIgnoredFileName(name: string): boolean {
  if (name === '' || name.startsWith('.')) return true;
  if (name.length >= 2 && name.startsWith('#') && name.endsWith('#')) return true;
  if (name.includes('.dpkg-')) return true;
  return LEFTOVER_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** The vassal name of a file the emperor picks up (`web.ini` -> `web`), or null for every other file. */
export function vassalNameOf(fileName: string): string | null {
  if (isIgnoredFileName(fileName) || !VASSAL_EXTENSION.test(fileName)) return null;
  return stripVassalExtension(fileName);
}

/** `web.ini` -> `web`; a name without .ini/.conf is kept whole (for files named on `emperor check`). */
export function stripVassalExtension(fileName: string): string {
  return fileName.replace(VASSAL_EXTENSION, '');
}
